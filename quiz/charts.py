"""Charts drawn on the server as SVG. Pure: values in, markup out.

No inline styles (the Content-Security-Policy forbids them): colours come
from classes styled in static/style.css. Each chart is an image with a title
and a description, and the pages put a table with the same figures beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL = 150  # room for the area names on the left
RIGHT = 60  # room for the value after a bar
ROW = 40


@dataclass(frozen=True)
class Bar:
    name: str
    percent: int
    band: str  # 'strength', 'adequate' or 'gap'
    rated: int | None = None  # the self-rating on the same 0-100 scale
    low: int | None = None  # the score's 90% interval, percent
    high: int | None = None


def _desc(chart_id: str, text: str) -> str:
    return f'<desc id="{chart_id}-desc">{escape(text)}</desc>'


def _x(value: float, left: float, width: float) -> float:
    return round(left + width * max(0.0, min(100.0, value)) / 100, 1)


def area_bars(
    bars: Sequence[Bar], thresholds: Sequence[tuple[str, float]], *, chart_id: str = "areas"
) -> Markup:
    """Horizontal bars, one per area, with the band thresholds and the self-ratings marked."""
    plot = WIDTH - LABEL - RIGHT
    top, height = 24, ROW * len(bars)
    intervals = any(b.low is not None for b in bars)
    total_height = top + height + 48 + (22 if intervals else 0)
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {total_height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">Score in each area</title>',
        _desc(
            chart_id,
            "; ".join(
                f"{b.name}: {b.percent}% ({b.band})"
                + (f", likely between {b.low}% and {b.high}%" if b.low is not None else "")
                + (f", self-rating at {b.rated}%" if b.rated is not None else "")
                for b in bars
            ),
        ),
    ]
    for tick in (0, 25, 50, 75, 100):
        x = _x(tick, LABEL, plot)
        out.append(f'<line class="grid" x1="{x}" y1="{top - 6}" x2="{x}" y2="{top + height}"/>')
        out.append(
            f'<text class="tick" x="{x}" y="{top + height + 16}" '
            f'text-anchor="middle">{tick}%</text>'
        )
    for name, value in thresholds:
        x = _x(value, LABEL, plot)
        out.append(
            f'<line class="threshold" x1="{x}" y1="{top - 10}" x2="{x}" y2="{top + height}"/>'
        )
        out.append(
            f'<text class="threshold-label" x="{x}" y="{top - 12}" '
            f'text-anchor="middle">{escape(name)}</text>'
        )
    for i, bar in enumerate(bars):
        y = top + i * ROW
        width = _x(bar.percent, LABEL, plot) - LABEL
        out.append(
            f'<text class="label" x="{LABEL - 10}" y="{y + ROW / 2 + 5}" '
            f'text-anchor="end">{escape(bar.name)}</text>'
        )
        out.append(
            f'<rect class="bar band-{escape(bar.band)}" x="{LABEL}" y="{y + 8}" '
            f'width="{max(width, 1)}" height="{ROW - 16}" rx="3"/>'
        )
        value_x = LABEL + width + 6
        if bar.low is not None and bar.high is not None:
            # The interval as a whisker across the bar's end; the value goes past it.
            x1, x2, cy = _x(bar.low, LABEL, plot), _x(bar.high, LABEL, plot), y + ROW / 2
            out.append(
                f'<path class="interval" d="M {x1} {cy - 6} V {cy + 6} M {x1} {cy} H {x2} '
                f'M {x2} {cy - 6} V {cy + 6}"/>'
            )
            value_x = max(value_x, x2 + 6)
        out.append(
            f'<text class="value" x="{min(value_x, WIDTH - RIGHT + 6)}" y="{y + ROW / 2 + 5}">'
            f"{bar.percent}%</text>"
        )
        if bar.rated is not None:
            cx, cy = _x(bar.rated, LABEL, plot), y + ROW / 2
            out.append(
                f'<path class="self-rating" d="M {cx} {cy - 9} L {cx + 7} {cy} '
                f'L {cx} {cy + 9} L {cx - 7} {cy} Z"/>'
            )
    legend_y = top + height + 38
    x = LABEL
    for level in ("strength", "adequate", "gap"):
        out.append(
            f'<rect class="bar band-{level}" x="{x}" y="{legend_y - 10}" width="14" '
            'height="12" rx="2"/>'
        )
        out.append(f'<text class="legend" x="{x + 20}" y="{legend_y}">{level}</text>')
        x += 95
    if any(b.rated is not None for b in bars):
        cx = x + 10
        out.append(
            f'<path class="self-rating" d="M {cx} {legend_y - 12} L {cx + 6} '
            f'{legend_y - 4} L {cx} {legend_y + 4} L {cx - 6} {legend_y - 4} Z"/>'
        )
        out.append(f'<text class="legend" x="{cx + 12}" y="{legend_y}">your self-rating</text>')
    if intervals:
        x, legend_y = LABEL, legend_y + 22
        out.append(
            f'<path class="interval" d="M {x} {legend_y - 10} V {legend_y + 2} M {x} '
            f'{legend_y - 4} H {x + 16} M {x + 16} {legend_y - 10} V {legend_y + 2}"/>'
        )
        out.append(
            f'<text class="legend" x="{x + 22}" y="{legend_y}">'
            "90% interval: where your true score most likely lies</text>"
        )
    out.append("</svg>")
    return Markup("\n".join(out))


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]  # one percentage per attempt
    css: str  # class that colours the line


def trend(labels: Sequence[str], series: Sequence[Series], *, chart_id: str = "trend") -> Markup:
    """Lines of scores over successive attempts (at least two), 0-100% on the y axis."""
    if len(labels) < 2:
        raise ValueError("a trend needs at least two attempts")
    left, right, top, plot_h = 50, 130, 16, 220
    plot_w = WIDTH - left - right
    height = top + plot_h + 40
    step = plot_w / (len(labels) - 1)

    def point(i: int, value: float) -> tuple[float, float]:
        return round(left + i * step, 1), round(top + plot_h * (1 - value / 100), 1)

    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">Scores over your attempts</title>',
        _desc(
            chart_id,
            "; ".join(f"{s.name}: " + ", ".join(f"{v}%" for v in s.values) for s in series),
        ),
    ]
    for tick in (0, 25, 50, 75, 100):
        _, y = point(0, tick)
        out.append(f'<line class="grid" x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}"/>')
        out.append(
            f'<text class="tick" x="{left - 8}" y="{y + 4}" text-anchor="end">{tick}%</text>'
        )
    for i, label in enumerate(labels):
        x, _ = point(i, 0)
        out.append(
            f'<text class="tick" x="{x}" y="{top + plot_h + 18}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for n, s in enumerate(series):
        points = " ".join(f"{x},{y}" for x, y in (point(i, v) for i, v in enumerate(s.values)))
        out.append(f'<polyline class="line {escape(s.css)}" points="{points}"/>')
        for i, v in enumerate(s.values):
            x, y = point(i, v)
            out.append(f'<circle class="dot {escape(s.css)}" cx="{x}" cy="{y}" r="3.5"/>')
        ly = top + 10 + n * 20
        lx = left + plot_w + 14
        out.append(
            f'<line class="line {escape(s.css)}" x1="{lx}" y1="{ly}" x2="{lx + 18}" y2="{ly}"/>'
        )
        out.append(f'<text class="legend" x="{lx + 24}" y="{ly + 4}">{escape(s.name)}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))


def histogram(
    counts: Sequence[int],
    labels: Sequence[str],
    *,
    chart_id: str = "histogram",
    title: str = "Distribution of overall scores",
) -> Markup:
    """Vertical bars, one per bin, with its count on top."""
    left, top, plot_h = 40, 20, 200
    plot_w = WIDTH - left - 20
    height = top + plot_h + 40
    most = max(counts) if counts and max(counts) > 0 else 1
    step = plot_w / max(len(counts), 1)
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        _desc(
            chart_id,
            "; ".join(f"{label}: {count}" for label, count in zip(labels, counts, strict=True)),
        ),
        f'<line class="grid" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" '
        f'y2="{top + plot_h}"/>',
    ]
    for i, (count, label) in enumerate(zip(counts, labels, strict=True)):
        bar_h = round(plot_h * count / most, 1)
        x = round(left + i * step + 3, 1)
        width = round(step - 6, 1)
        y = round(top + plot_h - bar_h, 1)
        out.append(
            f'<rect class="bar band-adequate" x="{x}" y="{y}" width="{width}" '
            f'height="{max(bar_h, 0)}" rx="2"/>'
        )
        out.append(
            f'<text class="value" x="{x + width / 2}" y="{y - 4}" '
            f'text-anchor="middle">{count}</text>'
        )
        out.append(
            f'<text class="tick" x="{x + width / 2}" y="{top + plot_h + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    out.append("</svg>")
    return Markup("\n".join(out))
