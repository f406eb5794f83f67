"""Badge images that carry their credential ("baked"), as Open Badges 3.0 §5.3 defines:
a PNG iTXt chunk with the keyword "openbadgecredential", or an SVG <openbadges:credential>
element whose verify attribute holds the compact JWS. Extraction reads only those places.
"""

import io
import re
import struct
import zlib
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

KEYWORD = "openbadgecredential"
NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_CREDENTIAL = re.compile(
    r"<openbadges:credential\b[^>]*?\bverify\s*=\s*(\"([^\"]*)\"|'([^']*)')", re.IGNORECASE)
_SVG_CDATA = re.compile(r"<openbadges:credential\b[^>]*>\s*<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
BLUE, GOLD, WHITE = "#0b5cad", "#e0a526", "#ffffff"


def svg(token: str, title: str, issuer: str, lang: str, direction: str) -> str:
    """A badge image in SVG with the credential baked in; the track's name written on it."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{NAMESPACE}" viewBox="0 0 512 512" \
width="512" height="512" role="img" aria-label={quoteattr(title)}>
<openbadges:credential verify={quoteattr(token)}></openbadges:credential>
<title>{escape(title)}</title>
<circle cx="256" cy="256" r="248" fill="{BLUE}"/>
<circle cx="256" cy="256" r="222" fill="none" stroke="{GOLD}" stroke-width="10"/>
<path d="M176 200 l56 56 l104 -104" fill="none" stroke="{WHITE}" stroke-width="30" \
stroke-linecap="round" stroke-linejoin="round"/>
<g font-family="Noto Sans, Noto Sans Arabic, Noto Sans Devanagari, sans-serif" fill="{WHITE}" \
text-anchor="middle" lang="{escape(lang)}" direction="{direction}">
<text x="256" y="340" font-size="30" font-weight="700">{escape(title[:40])}</text>
<text x="256" y="384" font-size="22">{escape(issuer[:48])}</text>
</g>
</svg>
"""


def png(token: str) -> bytes:
    """A badge image in PNG with the credential in an uncompressed iTXt chunk."""
    image = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, 252, 252), fill=BLUE)
    draw.ellipse((17, 17, 239, 239), outline=GOLD, width=5)
    draw.line([(88, 132), (116, 160), (172, 100)], fill=WHITE, width=16, joint="curve")
    info = PngInfo()
    info.add_itxt(KEYWORD, token, zip=False)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _png_text(data: bytes) -> str | None:
    """The first iTXt chunk with our keyword, read chunk by chunk (no image decoding)."""
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IEND":
            return None
        if kind != b"iTXt":
            continue
        keyword, _, rest = body.partition(b"\0")
        if keyword.decode("latin-1") != KEYWORD or len(rest) < 2:
            continue
        compressed, _method, rest = rest[0], rest[1], rest[2:]
        _language, _, rest = rest.partition(b"\0")
        _translated, _, text = rest.partition(b"\0")
        if compressed:
            text = zlib.decompressobj().decompress(text, 1 << 20)
        return text.decode("utf-8", "replace")
    return None


def extract(data: bytes) -> str | None:
    """The credential text baked into a PNG or SVG image; None when there is none."""
    if data.startswith(PNG_SIGNATURE):
        return _png_text(data)
    head = data[:1 << 20].decode("utf-8", "replace")
    if "<svg" not in head:
        return None
    match = _SVG_CREDENTIAL.search(head)
    if match:
        return (match.group(2) if match.group(2) is not None else match.group(3)).strip()
    match = _SVG_CDATA.search(head)
    return match.group(1).strip() if match else None
