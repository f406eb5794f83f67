"""Accessible SVG charts drawn on the server: a title, a description, and mirrored for RTL.

Every chart is an image to assistive technology (role="img" named by its <title> and <desc>);
the page puts the data table beside it. In right-to-left languages the charts mirror: labels
on the right, bars growing leftwards, time running from right to left. Positions are worked
out from the start edge and mirrored; text anchors stay logical ('end' of a label meets its
bar), since the chart carries the page's writing direction.

Sized for a phone: 400 units wide, so text reads at about its size on a 360-pixel screen;
the stylesheet caps the width on larger screens.
"""

from collections.abc import Callable

from markupsafe import Markup, escape

from navigator.i18n import _

WIDTH = 400
INK = "#1b1f24"
MUTED = "#4a5360"
BAR = "#0b5cad"
LINE = "#c9d0d8"


def _nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above the value (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _Canvas:
    """Draws in logical coordinates (x from the start edge) and mirrors them for RTL."""

    def __init__(self, rtl: bool):
        self.rtl = rtl
        self.parts: list[str] = []

    def x(self, x: float) -> float:
        return WIDTH - x if self.rtl else x

    def rect(self, x: float, y: float, w: float, h: float, fill: str = BAR) -> None:
        left = WIDTH - x - w if self.rtl else x
        self.parts.append(f'<rect x="{left:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
                          f'fill="{fill}"/>')

    def text(self, x: float, y: float, content: str, anchor: str = "start",
             fill: str = INK, size: int = 12) -> None:
        self.parts.append(f'<text x="{self.x(x):.1f}" y="{y:.1f}" text-anchor="{anchor}" '
                          f'font-size="{size}" fill="{fill}">{escape(content)}</text>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = LINE,
             width: float = 1) -> None:
        self.parts.append(f'<line x1="{self.x(x1):.1f}" y1="{y1:.1f}" x2="{self.x(x2):.1f}" '
                          f'y2="{y2:.1f}" stroke="{stroke}" stroke-width="{width}"/>')

    def svg(self, chart_id: str, title: str, desc: str, height: float) -> Markup:
        return Markup(
            f'<svg class="chart" id="{escape(chart_id)}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
            f'viewBox="0 0 {WIDTH} {height:.0f}" direction="{"rtl" if self.rtl else "ltr"}" '
            f'xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
            + "".join(self.parts) + "</svg>")


Number = Callable[[int], str]


def bar_chart(chart_id: str, title: str, items: list[tuple[str, int | None, str]], *,
              rtl: bool = False, limit: int = 20, number: Number = str) -> Markup:
    """Horizontal bars, largest first as given; items are (label, value or None, shown text).

    A value of None is a count hidden for sharing: no bar, only its mark. `number` writes a
    count the locale's way.
    """

    def _value_text(value: int | None, shown: str) -> str:
        return shown if value is None else number(value)

    drawn = items[:limit]
    described = [f"{label}: {_value_text(v, shown)}" for label, v, shown in drawn]
    desc = "; ".join(described) if described else _("No data for these filters.")
    if len(items) > limit:
        desc = _("The %(n)d largest of %(total)d, shown in the table in full.",
                 n=limit, total=len(items)) + " " + desc
    label_w, value_w, row_h = 150, 52, 24
    span = WIDTH - label_w - value_w
    top = _nice_max(max((v or 0 for _l, v, _s in drawn), default=0))
    c = _Canvas(rtl)
    for i, (label, value, shown) in enumerate(drawn):
        y = 6 + i * row_h
        c.text(label_w - 6, y + 16, _short(label), anchor="end")
        width = span * (value or 0) / top
        if value:
            c.rect(label_w, y + 4, max(width, 1), row_h - 8)
        c.text(label_w + width + 4, y + 16, _value_text(value, shown),
               fill=MUTED if value is None else INK)
    if not drawn:
        c.text(8, 22, _("No data for these filters."), fill=MUTED)
    return c.svg(chart_id, title, desc, max(len(drawn), 1) * row_h + 12)


def line_chart(chart_id: str, title: str, points: list[tuple[str, int | None, str]], *,
               rtl: bool = False, number: Number = str) -> Markup:
    """A trend over time; points are (label, value or None when hidden, shown text)."""
    desc = "; ".join(f"{label}: {shown if v is None else number(v)}"
                     for label, v, shown in points) or _("No data for these filters.")
    height, left, right, top_pad, bottom = 200, 44, 12, 12, 36
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    top = _nice_max(max((v or 0 for _l, v, _s in points), default=0))
    c = _Canvas(rtl)
    for tick in (0, top // 2, top) if top > 1 else (0, top):
        y = top_pad + plot_h - plot_h * tick / top
        c.line(left, y, WIDTH - right, y)
        c.text(left - 5, y + 4, number(tick), anchor="end", fill=MUTED, size=11)
    n = len(points)

    def px(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    every = max(1, -(-n // 6))  # at most six labels under the axis
    segment: list[str] = []
    segments: list[list[str]] = []
    dots: list[str] = []
    for i, (label, value, _shown) in enumerate(points):
        if i % every == 0:
            c.text(px(i), height - bottom + 16, _short(label, 12), anchor="middle",
                   fill=MUTED, size=11)
        if value is None:  # hidden for sharing: the line breaks
            if segment:
                segments.append(segment)
            segment = []
            continue
        y = top_pad + plot_h - plot_h * value / top
        segment.append(f"{c.x(px(i)):.1f},{y:.1f}")
        dots.append(f'<circle cx="{c.x(px(i)):.1f}" cy="{y:.1f}" r="3" fill="{BAR}"/>')
    if segment:
        segments.append(segment)
    c.parts += [f'<polyline points="{" ".join(seg)}" fill="none" stroke="{BAR}" '
                f'stroke-width="2"/>' for seg in segments if len(seg) > 1]
    c.parts += dots
    if not points:
        c.text(left + 8, top_pad + plot_h / 2, _("No data for these filters."), fill=MUTED)
    return c.svg(chart_id, title, desc, height)
