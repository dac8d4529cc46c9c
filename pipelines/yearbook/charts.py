"""Figures as PNG bytes (110 dpi, no metadata: the same data gives the same bytes).

PNG rather than SVG: WeasyPrint lays out a raster image almost for free, while each SVG chart
with twenty labelled bars costs noticeably more, and the national book must render in seconds.
DejaVu Sans is named explicitly: it covers every Kazakh letter (ә ғ қ ң ө ұ ү һ і).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: headless, no display needed

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure as MplFigure  # noqa: E402

from pipelines.yearbook.fmt import number  # noqa: E402
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


def by_region(figure: Figure, lang: Lang, no_data: str) -> bytes:
    """Horizontal bars per region (republic on top, darker), target as a tick on each bar."""
    labels = [label[lang] for label, _ in figure.value.points]
    values = [v for _, v in figure.value.points]
    targets = [t for _, t in figure.target.points]
    n = len(labels)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.22 * n + 0.9), layout="constrained")
    ys = list(range(n))[::-1]  # first row (the republic) at the top
    colours = [NATIONAL_COLOUR] + [VALUE_COLOUR] * (n - 1)
    ax.barh(ys, [v or 0 for v in values], color=colours, height=0.7, label=figure.value.label[lang])
    for y, v in zip(ys, values, strict=True):
        text = "…" if v is None else number(v, "pct")
        ax.text((v or 0) + 0.8, y, text, va="center", fontsize=7)
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
    ax.set_xlim(0, max([100.0, *[v or 0 for v in values]]) * 1.02)
    ax.set_xlabel("%")
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.5)
    ax.set_axisbelow(True)
    if all(v is None for v in values):
        ax.text(50, n / 2, no_data, ha="center", va="center", fontsize=10)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return _png(fig)


def trend(figure: Figure, lang: Lang, no_data: str) -> bytes:
    """National value and target by academic year (gaps where a year has no value)."""
    years = [label[lang] for label, _ in figure.value.points]
    values = [v for _, v in figure.value.points]
    targets = [t for _, t in figure.target.points]
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 2.6), layout="constrained")
    xs = list(range(len(years)))
    ax.plot(
        xs,
        [float("nan") if v is None else v for v in values],
        marker="o",
        color=VALUE_COLOUR,
        label=figure.value.label[lang],
    )
    for x, v in zip(xs, values, strict=True):
        # a year without a published value (suppressed, not reported) says so instead of a gap
        text, y = ("…", 2.0) if v is None else (number(v, "pct"), v)
        ax.annotate(
            text, (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7
        )
    if any(t is not None for t in targets):
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
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.5)
    if not years:
        ax.text(0, 50, no_data, ha="center", va="center", fontsize=10)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return _png(fig)


def render(figure: Figure, lang: Lang, no_data: str) -> bytes:
    if figure.kind == "indicator_by_region":
        return by_region(figure, lang, no_data)
    return trend(figure, lang, no_data)
