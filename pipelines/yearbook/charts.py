"""Figures as PNG bytes (110 dpi, no metadata: the same data gives the same bytes).

PNG rather than SVG: WeasyPrint lays out a raster image almost for free, while each SVG chart
with twenty labelled bars costs noticeably more, and the national book must render in seconds.
DejaVu Sans is named explicitly: it covers every Kazakh letter (ә ғ қ ң ө ұ ү һ і).
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")  # before pyplot: headless, no display needed

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure as MplFigure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from pipelines.publishing import numbers  # noqa: E402
from pipelines.publishing.numbers import SYMBOLS  # noqa: E402
from pipelines.yearbook.model import Figure, Lang  # noqa: E402

DPI = 110
WIDTH_IN = 6.6
VALUE_COLOUR = "#2F6690"
NATIONAL_COLOUR = "#16425B"
TARGET_COLOUR = "#D1495B"

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "edustat",
    }
)


def _png(fig: MplFigure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


# Axis ticks read like the tables: decimal comma («12,5»), not matplotlib's decimal point.
_TICKS = FuncFormatter(lambda x, _: numbers.number(x, 0 if float(x).is_integer() else 1))


def axis_max(values: list[float | None], targets: list[float | None]) -> float:
    """Upper end of the value axis: the largest value or target plus room for its label,
    rounded up to a step of 5 (10 above 50), never above 100 + room. A share near 12 % then
    spans most of the axis instead of a sliver of a 0-100 scale."""
    top = max([v for v in (*values, *targets) if v is not None], default=0.0)
    step = 10.0 if top > 50 else 5.0
    return max(step, math.ceil(top * 1.12 / step) * step)


def _legend(ax: Axes, has_target: bool) -> None:
    # Above the plot, outside the axes: it can never cover a bar, a point or a value label.
    if has_target:
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=7, frameon=False)


def by_region(figure: Figure, lang: Lang, no_data: str) -> bytes:
    """Horizontal bars per region (republic on top, darker), target as a tick on each bar.

    The value label sits to the right of both the bar end and the target tick, so the tick
    never crosses the text."""
    labels = [label[lang] for label, _ in figure.value.points]
    values = [v for _, v in figure.value.points]
    targets = [t for _, t in figure.target.points]
    n = len(labels)
    xmax = axis_max(values, targets)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.22 * n + 1.0), layout="constrained")
    ys = list(range(n))[::-1]  # first row (the republic) at the top
    colours = [NATIONAL_COLOUR] + [VALUE_COLOUR] * (n - 1)
    ax.barh(ys, [v or 0 for v in values], color=colours, height=0.7, label=figure.value.label[lang])
    pad = xmax * 0.01
    label_width = xmax * 0.08  # about five characters at 7 pt on this axis
    for y, v, t in zip(ys, values, targets, strict=True):
        text = SYMBOLS["suppressed"] if v is None else numbers.text(v, "pct", lang)
        end = v or 0.0
        # at the bar's end when the target tick is not in the way, else past the tick
        clear = t is None or t < end - pad or t > end + label_width + 2 * pad
        x = end + pad if clear else max(end, t or 0.0) + 2.5 * pad
        ax.text(x, y, text, va="center", fontsize=7)
    shown = [(y, t) for y, t in zip(ys, targets, strict=True) if t is not None]
    if shown:
        ax.scatter(
            [t for _, t in shown],
            [y for y, _ in shown],
            marker="|",
            s=160,
            linewidths=2,
            color=TARGET_COLOUR,
            zorder=3,
            label=figure.target.label[lang],
        )
    ax.set_yticks(ys, labels)
    # room on the right for the label of the longest bar
    ax.set_xlim(0, xmax * 1.1)
    ax.xaxis.set_major_formatter(_TICKS)
    ax.set_xlabel("%")
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.5)
    ax.set_axisbelow(True)
    if all(v is None for v in values):
        ax.text(xmax / 2, n / 2, no_data, ha="center", va="center", fontsize=10)
    _legend(ax, bool(shown))
    return _png(fig)


def trend(figure: Figure, lang: Lang, no_data: str) -> bytes:
    """National value and target by academic year (gaps where a year has no value).

    A value label goes above its point when the value is at or above the target and below it
    otherwise, so the dashed target line never runs through it."""
    years = [label[lang] for label, _ in figure.value.points]
    values = [v for _, v in figure.value.points]
    targets = [t for _, t in figure.target.points]
    ymax = axis_max(values, targets)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 2.6), layout="constrained")
    xs = list(range(len(years)))
    ax.plot(
        xs,
        [float("nan") if v is None else v for v in values],
        marker="o",
        color=VALUE_COLOUR,
        label=figure.value.label[lang],
    )
    for x, v, t in zip(xs, values, targets, strict=True):
        if v is None:
            # a year without a published value (suppressed, not reported) says so, not a gap
            ax.annotate(
                SYMBOLS["suppressed"], (x, 0), textcoords="offset points", xytext=(0, 4),
                ha="center", fontsize=7,
            )  # fmt: skip
            continue
        below = t is not None and v < t
        ax.annotate(
            numbers.text(v, "pct", lang),
            (x, v),
            textcoords="offset points",
            xytext=(0, -11 if below else 6),
            ha="center",
            fontsize=7,
        )
    has_target = any(t is not None for t in targets)
    if has_target:
        ax.plot(
            xs,
            [float("nan") if t is None else t for t in targets],
            marker="s",
            linestyle="--",
            color=TARGET_COLOUR,
            label=figure.target.label[lang],
        )
    ax.set_xticks(xs, years)
    ax.set_xlim(-0.5, max(len(xs) - 0.5, 0.5))
    ax.set_ylim(0, ymax)
    ax.yaxis.set_major_formatter(_TICKS)
    ax.set_ylabel("%")
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.5)
    if not years:
        ax.text(0, ymax / 2, no_data, ha="center", va="center", fontsize=10)
    _legend(ax, has_target)
    return _png(fig)


def render(figure: Figure, lang: Lang, no_data: str) -> bytes:
    if figure.kind == "indicator_by_region":
        return by_region(figure, lang, no_data)
    return trend(figure, lang, no_data)
