"""Accessible SVG charts drawn on the server: a title, a description, and mirrored for RTL.

Every chart is an image to assistive technology (role="img" named by its <title> and <desc>);
the page puts the data table beside it. In right-to-left languages the charts mirror: labels
on the right, bars growing leftwards, time running from right to left. Positions are worked
out from the start edge and mirrored; text anchors stay logical, since the chart carries the
page's writing direction.

Charts reflow rather than scale: the drawing has no viewBox, so its text is always drawn at
FONT pixels, as large as the page's small print, on a 360-pixel phone as on a desktop. Across
the page the chart stretches: every horizontal position is a percentage of its width. Bars are
horizontal with their labels above them, wrapped to the narrowest screen we design for, and
their numbers at the far end of the label's line; a trend labels fewer months on a narrow
screen (the stylesheet hides those marked "wide"), and a trend of a single month is drawn as
that month's bar.
"""

from collections.abc import Callable

from markupsafe import Markup, escape

from navigator.i18n import _

FONT = 15         # px: the chart's text, never scaled (the body's small print is 14.7 px)
LINE = 22         # px between lines of a label; Arabic letters reach further up and down:
LINE_RTL = 27
CHAR = 8.6        # px: a generous average advance of a character at FONT, for wrapping
NARROW = 288      # px: the narrowest chart we wrap labels for (a 320-pixel phone)
BAR_H = 14
ROW_GAP = 14
INK = "#1b1f24"
MUTED = "#4a5360"
BAR = "#0b5cad"
LINE_COLOUR = "#c9d0d8"


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above the value (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def wrap(text: str, width: int) -> list[str]:
    """The text in lines of at most `width` characters, broken at spaces where it can be."""
    width = max(width, 8)
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > width:  # a word longer than a line is cut where it must be
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width - 1] + "-")
            word = word[width - 1:]
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line or not lines:
        lines.append(line)
    return lines


def _pct(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"


class _Canvas:
    """Draws with x as a percentage from the start edge, mirrored for RTL; y in pixels."""

    def __init__(self, rtl: bool):
        self.rtl = rtl
        self.parts: list[str] = []

    def x(self, x: float) -> str:
        return _pct(100 - x if self.rtl else x)

    def rect(self, x: float, y: float, w: float, h: float, fill: str = BAR) -> None:
        left = 100 - x - w if self.rtl else x
        self.parts.append(f'<rect x="{_pct(left)}" y="{y:.0f}" width="{_pct(w)}" '
                          f'height="{h:.0f}" fill="{fill}"/>')

    def text(self, x: float, y: float, content: str, anchor: str = "start",
             fill: str = INK, weight: str = "", css: str = "") -> None:
        bold = ' font-weight="600"' if weight else ""
        klass = f' class="{css}"' if css else ""
        inset = 2 if x <= 0 else -2 if x >= 100 else 0  # letters leaning out stay in
        shift = f' dx="{-inset if self.rtl else inset}"' if inset else ""
        self.parts.append(f'<text x="{self.x(x)}"{shift} y="{y:.0f}" text-anchor="{anchor}" '
                          f'font-size="{FONT}"{bold} fill="{fill}"{klass}>'
                          f'{escape(content)}</text>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = LINE_COLOUR,
             width: float = 1) -> None:
        self.parts.append(f'<line x1="{self.x(x1)}" y1="{y1:.1f}" x2="{self.x(x2)}" '
                          f'y2="{y2:.1f}" stroke="{stroke}" stroke-width="{width}"/>')

    def dot(self, x: float, y: float) -> None:
        self.parts.append(f'<circle cx="{self.x(x)}" cy="{y:.1f}" r="4" fill="{BAR}"/>')

    def svg(self, chart_id: str, title: str, desc: str, height: float) -> Markup:
        return Markup(
            f'<svg class="chart" id="{escape(chart_id)}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
            f'width="100%" height="{height:.0f}" direction="{"rtl" if self.rtl else "ltr"}" '
            f'font-family="inherit" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
            + "".join(self.parts) + "</svg>")


Number = Callable[[int], str]


def bar_chart(chart_id: str, title: str, items: list[tuple[str, int | None, str]], *,
              rtl: bool = False, limit: int = 20, number: Number = str) -> Markup:
    """Horizontal bars, largest first as given; items are (label, value or None, shown text).

    Each label is written in full above its bar, wrapped; its number at the far end of the
    label's first line. A value of None is a count hidden for sharing: no bar, only its mark.
    `number` writes a count the locale's way.
    """

    def _value_text(value: int | None, shown: str) -> str:
        return shown if value is None else number(value)

    drawn = items[:limit]
    described = [f"{label}: {_value_text(v, shown)}" for label, v, shown in drawn]
    desc = "; ".join(described) if described else _("No data for these filters.")
    if len(items) > limit:
        desc = _("The %(n)d largest of %(total)d, shown in the table in full.",
                 n=limit, total=len(items)) + " " + desc
    top = _nice_max(max((v or 0 for _l, v, _s in drawn), default=0))
    c = _Canvas(rtl)
    line_h = LINE_RTL if rtl else LINE
    y = 4.0  # room for tall letters above the first line
    for label, value, shown in drawn:
        value_text = _value_text(value, shown)
        room = int((NARROW - (len(value_text) + 2) * CHAR) / CHAR)
        for i, line in enumerate(wrap(label, room)):
            y += line_h
            c.text(0, y - 6, line)
            if i == 0:
                c.text(100, y - 6, value_text, anchor="end", weight="bold",
                       fill=MUTED if value is None else INK)
        y += 3
        if value:
            c.rect(0, y, max(100 * value / top, 0.5), BAR_H)
        y += BAR_H + ROW_GAP
    if not drawn:
        c.text(0, 22, _("No data for these filters."), fill=MUTED)
        y = 30
    return c.svg(chart_id, title, desc, y)


def _every(n: int, wanted: int) -> int:
    return max(1, -(-n // wanted))


def line_chart(chart_id: str, title: str, points: list[tuple[str, int | None, str]], *,
               rtl: bool = False, number: Number = str) -> Markup:
    """A trend over time; points are (label, value or None when hidden, shown text).

    With fewer than two counts to join there is no trend to draw: the month (or months, with
    their hidden marks) are shown as bars instead of a lone dot.
    """
    if points and (len(points) < 2 or sum(v is not None for _l, v, _s in points) < 2):
        return bar_chart(chart_id, title, points, rtl=rtl, limit=len(points), number=number)
    desc = "; ".join(f"{label}: {shown if v is None else number(v)}"
                     for label, v, shown in points) or _("No data for these filters.")
    top_pad, plot_h, bottom = 12, 150, 34
    height = top_pad + plot_h + bottom
    gutter = 14.0  # % of the width for the counts of the grid lines, at the start edge,
    end = 10.0     # and at the far edge, room for half the last month's name
    top = _nice_max(max((v or 0 for _l, v, _s in points), default=0))
    c = _Canvas(rtl)
    for tick in (0, top // 2, top) if top > 1 else (0, top):
        y = top_pad + plot_h - plot_h * tick / top
        c.line(gutter, y, 100 - end / 2, y)
        c.text(0, y + 5, number(tick), fill=MUTED)
    n = len(points)

    def px(i: int) -> float:
        return gutter + (100 - gutter - end) * (i + 0.5) / max(n, 1)

    # The newest month always named, and every so many before it: at most six on a wide
    # screen, three on a phone (the stylesheet hides those marked "wide" there).
    wide = _every(n, 6)
    narrow = wide * _every(_every(n, 3), wide)
    previous: tuple[float, float] | None = None
    for i, (label, value, _shown) in enumerate(points):
        back = n - 1 - i
        if back % wide == 0:
            c.text(px(i), height - bottom + 22, label, anchor="middle", fill=MUTED,
                   css="" if back % narrow == 0 else "wide")
        if value is None:  # hidden for sharing: the line breaks
            previous = None
            continue
        y = top_pad + plot_h - plot_h * value / top
        if previous:
            c.line(previous[0], previous[1], px(i), y, stroke=BAR, width=2)
        previous = (px(i), y)
    for i, (_label, value, _shown) in enumerate(points):  # dots over the lines
        if value is not None:
            c.dot(px(i), top_pad + plot_h - plot_h * value / top)
    if not points:
        c.text(gutter + 2, top_pad + plot_h / 2, _("No data for these filters."), fill=MUTED)
    return c.svg(chart_id, title, desc, height)
