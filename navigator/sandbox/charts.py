"""The training chart, drawn on the server: loss on training and held-out text, step by step.

Like the outreach charts: an image to assistive technology (role="img", named by its title and
description), a data table beside it on the page, and mirrored in right-to-left languages
(steps run from right to left). Checkpoints are marked with a dashed line and a number that
the legend under the chart explains.

Like them too it reflows rather than scales, so its text is as large on a 360-pixel phone as
on a desktop: no viewBox on the drawing, text at FONT pixels, horizontal positions in percent
of the width. Only the two loss lines sit in an inner drawing stretched over the plot, their
strokes kept at their width.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

FONT = 15                  # px, never scaled: the page's small print is 14.7 px
TOP, PLOT_H, BOTTOM = 48, 150, 50  # above: the loss axis's name, then checkpoint numbers
START, END = 13.0, 4.0     # % of the width: the loss counts, and room after the last step
INNER = 1000               # width of the inner drawing of the lines, stretched over the plot
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


def _pct(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + "%"


class _Plot:
    """Where steps and losses fall on the chart, and the drawing's pieces so far."""

    def __init__(self, last: float, high: float, rtl: bool) -> None:
        self.last, self.high, self.rtl = last, high, rtl
        self.span = 100 - START - END
        self.parts: list[str] = []

    def x(self, step: float) -> str:
        at = START + self.span * step / self.last
        return _pct(100 - at if self.rtl else at)

    def y(self, loss: float) -> float:
        return TOP + PLOT_H - PLOT_H * loss / self.high

    def text(self, px: str, py: float, content: str, anchor: str = "middle", fill: str = MUTED,
             weight: str = "") -> None:
        bold = f' font-weight="{weight}"' if weight else ""
        self.parts.append(f'<text x="{px}" y="{py:.1f}" text-anchor="{anchor}" font-size="{FONT}"'
                          f'{bold} fill="{fill}">{escape(content)}</text>')


def loss_chart(chart_id: str, title: str, desc: str, log: Sequence[Mapping[str, float]],
               marks: Sequence[tuple[str, int]], *, rtl: bool = False,
               axis: tuple[str, str] = ("", "")) -> Markup:
    """Two lines (training, held-out loss) over steps, and numbered checkpoint marks.

    marks: (label, step) pairs drawn as dashed lines numbered 1, 2, 3 … in order; the page's
    legend gives each number its name. axis: the x and y axis titles.
    """
    height = TOP + PLOT_H + BOTTOM
    last = max((row["step"] for row in log), default=1) or 1
    high = _nice(max((max(row["train"], row["heldout"]) for row in log), default=1.0))
    plot = _Plot(last, high, rtl)
    _axes(plot, axis)
    for n, (_label, step) in enumerate(marks, start=1):
        plot.parts.append(f'<line x1="{plot.x(step)}" y1="{TOP:.1f}" x2="{plot.x(step)}" '
                          f'y2="{TOP + PLOT_H:.1f}" stroke="{INK}" stroke-width="1" '
                          f'stroke-dasharray="3 3"/>')
        plot.text(plot.x(step), TOP - 12, str(n), fill=INK, weight="600")
    _lines(plot, log)
    cid = escape(chart_id)
    return Markup(
        f'<svg class="chart loss-chart" id="{cid}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" width="100%" height="{height}" '
        f'direction="{"rtl" if rtl else "ltr"}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{cid}-title">{escape(title)}</title><desc id="{cid}-desc">{escape(desc)}'
        f'</desc>' + "".join(plot.parts) + "</svg>")


def _axes(plot: _Plot, axis: tuple[str, str]) -> None:
    """The loss grid with its values, the step counts under it, and the axis titles."""
    last, high, parts = plot.last, plot.high, plot.parts
    edge, far = ("100%", "0%") if plot.rtl else ("0%", "100%")
    inward = -2 if plot.rtl else 2  # letters leaning out of the drawing stay in
    for tick in (0, high / 2, high):
        parts.append(f'<line x1="{plot.x(0)}" y1="{plot.y(tick):.1f}" x2="{plot.x(last)}" '
                     f'y2="{plot.y(tick):.1f}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{edge}" dx="{inward}" y="{plot.y(tick) + 5:.1f}" '
                     f'font-size="{FONT}" fill="{MUTED}">{escape(f"{tick:g}")}</text>')
    below = TOP + PLOT_H + 20
    plot.text(plot.x(0), below, "0")
    plot.text(plot.x(last // 2), below, f"{last // 2:,}")
    plot.text(far, below, f"{last:,}", anchor="end")  # the last step ends at the far edge
    if axis[0]:
        plot.text(_pct(50), TOP + PLOT_H + 42, axis[0])
    if axis[1]:
        parts.append(f'<text x="{edge}" dx="{inward}" y="{TOP - 32}" font-size="{FONT}" '
                     f'fill="{MUTED}">{escape(axis[1])}</text>')


def _lines(plot: _Plot, log: Sequence[Mapping[str, float]]) -> None:
    """The two loss lines, in an inner drawing stretched over the plot."""

    def inner(step: float) -> float:
        at = INNER * step / plot.last
        return INNER - at if plot.rtl else at

    lines = (("train", TRAIN, ""), ("heldout", HELDOUT, ' stroke-dasharray="6 3"'))
    drawn = []
    for key, colour, dash in lines:
        points = " ".join(f"{inner(row['step']):.1f},{plot.y(row[key]) - TOP:.1f}"
                          for row in log)
        if points:
            drawn.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                         f'stroke-width="2" vector-effect="non-scaling-stroke"{dash}/>')
    if drawn:
        span = plot.span
        left = 100 - START - span if plot.rtl else START
        plot.parts.append(f'<svg x="{_pct(left)}" y="{TOP}" width="{_pct(span)}" '
                          f'height="{PLOT_H}" viewBox="0 0 {INNER} {PLOT_H}" '
                          f'preserveAspectRatio="none" overflow="visible">' + "".join(drawn)
                          + "</svg>")
