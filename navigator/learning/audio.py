"""Audio files as the platform meets them: what kind a file really is, and how long Ogg lasts.

Pure functions over bytes, shared by the package checker (recorded narrations in a course
package), the trainers' upload and the narration player. A file's kind is read from its first
bytes, never from its name or from what the browser says it is.
"""

import struct

# Recorded narrations: compressed formats every current browser plays in <audio>.
KINDS = {
    "ogg": "audio/ogg",    # Ogg Opus or Ogg Vorbis
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",    # AAC in MP4
    "webm": "audio/webm",  # what a browser's own recorder makes
}
MAX_RECORDING_BYTES = 6 * 1024 * 1024  # 12 minutes at 64 kbit/s; below the request limit


def sniff(data: bytes) -> str | None:
    """The kind of audio file ('ogg', 'mp3', 'm4a', 'webm'), or None when it is none of them."""
    head = data[:12]
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM (or Matroska)
        return "webm"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                                   and head[1] & 0x06):  # MPEG audio frame, layer I–III
        return "mp3"
    if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"M4B ", b"mp42", b"isom", b"iso2",
                                                b"dash", b"mp41"):
        return "m4a"
    return None


def ogg_seconds(data: bytes) -> float | None:
    """How long an Ogg Opus file plays, from its last page's granule position; None if unsure.

    Opus always counts 48 000 samples a second, less the pre-skip its header names.
    """
    if not data.startswith(b"OggS") or data[28:36] != b"OpusHead":
        return None
    pre_skip = struct.unpack_from("<H", data, 38)[0]
    last = data.rfind(b"OggS")
    if last < 0 or last + 14 > len(data):
        return None
    granule = struct.unpack_from("<q", data, last + 6)[0]
    if granule < 0:
        return None
    return max(granule - pre_skip, 0) / 48000
