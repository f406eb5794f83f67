"""The training chart, drawn on the server: loss on training and held-out text, step by step.

Like the outreach charts: an image to assistive technology (role="img", named by its title and
description), a data table beside it on the page, 400 units wide so it reads on a 360-pixel
phone, and mirrored in right-to-left languages (steps run from right to left). Checkpoints are
marked with a dashed line and a number that the legend under the chart explains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

WIDTH = 400
HEIGHT = 230
LEFT, RIGHT, TOP, BOTTOM = 40, 14, 14, 40
INK = "#1b1f24"
MUTED = "#4a5360"
GRID = "#c9d0d8"
TRAIN = "#0b5cad"
HELDOUT = "#b5460f"


def _nice(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above value."""
    step = 1.0
    while step * 10 < value:
        step *= 10
    while step > value * 10:
        step /= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def loss_chart(chart_id: str, title: str, desc: str, log: Sequence[Mapping[str, float]],
               marks: Sequence[tuple[str, int]], *, rtl: bool = False,
               axis: tuple[str, str] = ("", "")) -> Markup:
    """Two lines (training, held-out loss) over steps, and numbered checkpoint marks.

    marks: (label, step) pairs drawn as dashed lines numbered 1, 2, 3 … in order; the page's
    legend gives each number its name. axis: the x and y axis titles.
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    last = max((row["step"] for row in log), default=1) or 1
    high = _nice(max((max(row["train"], row["heldout"]) for row in log), default=1.0))
    parts: list[str] = []

    def x(step: float) -> float:
        at = LEFT + plot_w * step / last
        return WIDTH - at if rtl else at

    def y(loss: float) -> float:
        return TOP + plot_h - plot_h * loss / high

    def text(px: float, py: float, content: str, anchor: str = "middle", fill: str = MUTED,
             size: int = 11) -> None:
        parts.append(f'<text x="{px:.1f}" y="{py:.1f}" text-anchor="{anchor}" font-size="{size}" '
                     f'fill="{fill}">{escape(content)}</text>')

    for tick in (0, high / 2, high):
        parts.append(f'<line x1="{x(0):.1f}" y1="{y(tick):.1f}" x2="{x(last):.1f}" '
                     f'y2="{y(tick):.1f}" stroke="{GRID}" stroke-width="1"/>')
        text(x(0) + (6 if rtl else -6), y(tick) + 4, f"{tick:g}", anchor="end")
    for tick in (0, last // 2, last):
        text(x(tick), TOP + plot_h + 15, f"{tick:,}")
    if axis[0]:
        text((x(0) + x(last)) / 2, HEIGHT - 6, axis[0])
    if axis[1]:
        text(x(0), TOP - 3, axis[1], anchor="start" if not rtl else "end")
    for n, (_label, step) in enumerate(marks, start=1):
        parts.append(f'<line x1="{x(step):.1f}" y1="{TOP:.1f}" x2="{x(step):.1f}" '
                     f'y2="{TOP + plot_h:.1f}" stroke="{INK}" stroke-width="1" '
                     f'stroke-dasharray="3 3"/>')
        text(x(step), TOP + 10, str(n), fill=INK, size=12)
    lines = (("train", TRAIN, ""), ("heldout", HELDOUT, ' stroke-dasharray="6 3"'))
    for key, colour, dash in lines:
        points = " ".join(f"{x(row['step']):.1f},{y(row[key]):.1f}" for row in log)
        if points:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"{dash}/>')
    cid = escape(chart_id)
    return Markup(
        f'<svg class="chart loss-chart" id="{cid}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'direction="{"rtl" if rtl else "ltr"}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{cid}-title">{escape(title)}</title><desc id="{cid}-desc">{escape(desc)}'
        f'</desc>' + "".join(parts) + "</svg>")
