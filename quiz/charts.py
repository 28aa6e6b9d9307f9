"""Charts drawn on the server. Pure: values in, markup out.

No inline styles (the Content-Security-Policy forbids them): colours and sizes come
from classes styled in static/style.css.

The area chart and the trend keep their text at its CSS size at every width: a chart
drawn in a viewBox shrinks with the screen, and its 12-pixel labels came out at 6 on
a phone. So their words are HTML, or SVG text in an SVG without a viewBox, where
positions are percentages of the width and sizes stay in pixels; only shapes scale.
The pages put a table with the same figures beside each chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640  # the histogram's drawing width (its viewBox)
TRACK = 28  # height of an area's bar track, px
TICKS = (0, 25, 50, 75, 100)
DASH = "\u2013"  # an en dash between the ends of a range: 48–75%


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


def _pct(value: float) -> str:
    """A position on a 0-100 scale as an SVG percentage, clamped: "62.5%"."""
    return f"{round(max(0.0, min(100.0, value)), 2):g}%"


def _diamond(x: str, y: float, size: int = 8) -> str:
    """The self-rating marker centred at (``x``, ``y``): a nested SVG carries the
    percentage position, its path the shape in pixels (paths take no percentages)."""
    return (
        f'<svg class="self-rating-mark" x="{x}" y="{y}" overflow="visible">'
        f'<path class="self-rating" d="M 0 {-size} L {size - 1} 0 L 0 {size} '
        f'L {1 - size} 0 Z"/></svg>'
    )


def _area_track(bar: Bar, thresholds: Sequence[tuple[str, float]]) -> str:
    """One area's bar as an SVG without a viewBox (no text in it): the score's bar,
    its interval as a band with whiskers, the band thresholds and the self-rating."""
    mid = TRACK / 2
    out = [
        f'<svg class="area-track" width="100%" height="{TRACK}" aria-hidden="true" '
        'focusable="false" xmlns="http://www.w3.org/2000/svg">',
        f'<rect class="track" x="0" y="{mid - 7}" width="100%" height="14" rx="3"/>',
        f'<rect class="bar fill-{escape(bar.band)}" x="0" y="{mid - 7}" '
        f'width="{_pct(max(bar.percent, 0.5))}" height="14" rx="3"/>',
    ]
    for _, value in thresholds:
        out.append(
            f'<line class="threshold" x1="{_pct(value)}" y1="0" x2="{_pct(value)}" y2="{TRACK}"/>'
        )
    if bar.low is not None and bar.high is not None:
        low, high = _pct(bar.low), _pct(bar.high)
        out.append(
            f'<rect class="interval-band" x="{low}" y="{mid - 4}" '
            f'width="{_pct(bar.high - bar.low)}" height="8"/>'
        )
        out.append(f'<line class="interval" x1="{low}" y1="{mid}" x2="{high}" y2="{mid}"/>')
        for x in (low, high):
            out.append(f'<line class="interval" x1="{x}" y1="{mid - 7}" x2="{x}" y2="{mid + 7}"/>')
    if bar.rated is not None:
        out.append(_diamond(_pct(bar.rated), mid))
    out.append("</svg>")
    return "".join(out)


def _axis(ticks: Sequence[int] = TICKS) -> str:
    """The 0-100% scale under the bars: SVG text at percentages, its size in CSS pixels.
    The end labels are anchored inwards so that they stay inside the width."""
    out = [
        '<svg class="area-axis" width="100%" height="18" aria-hidden="true" focusable="false" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for tick in ticks:
        anchor = "start" if tick == ticks[0] else "end" if tick == ticks[-1] else "middle"
        out.append(
            f'<text class="tick" x="{_pct(tick)}" y="13" text-anchor="{anchor}">{tick}%</text>'
        )
    out.append("</svg>")
    return "".join(out)


YOUR_INTERVAL = "90% interval: where your true score most likely lies"


def area_bars(
    bars: Sequence[Bar],
    thresholds: Sequence[tuple[str, float]],
    *,
    chart_id: str = "areas",
    interval_key: str = YOUR_INTERVAL,
) -> Markup:
    """Horizontal bars, one per area, as HTML rows: the area's name, band and score
    with its interval as text, under it a track with the bar, the interval, the band
    thresholds (``thresholds``: (band name, percent)) and the self-rating marker, which
    lives in the track and so never covers a word. A legend in words follows, the
    interval's entry saying ``interval_key``."""
    intervals = any(b.low is not None for b in bars)
    rated = any(b.rated is not None for b in bars)
    out = [f'<div class="area-chart" id="{escape(chart_id)}">', '<ol class="area-rows">']
    for bar in bars:
        interval = (
            f' <span class="area-interval">90% interval {bar.low}{DASH}{bar.high}%</span>'
            if bar.low is not None and bar.high is not None
            else ""
        )
        said = f"; your self-rating {bar.rated}%" if bar.rated is not None else ""
        out.append(
            f'<li class="area-row area-row-{escape(bar.band)}">'
            '<p class="area-row-head">'
            f'<span class="area-name">{escape(bar.name)}'
            f' <span class="band-word band-{escape(bar.band)}">{escape(bar.band)}</span></span>'
            f'<span class="area-figure"><strong>{bar.percent}%</strong>{interval}'
            f'<span class="visually-hidden">{escape(said)}</span></span></p>'
            f"{_area_track(bar, thresholds)}</li>"
        )
    out.append("</ol>")
    out.append(_axis())
    legend = [
        '<li><span class="key-swatch fill-strength"></span>strength</li>',
        '<li><span class="key-swatch fill-adequate"></span>adequate</li>',
        '<li><span class="key-swatch fill-gap"></span>gap</li>',
    ]
    if thresholds:
        where = " and ".join(f"{escape(name)} ({value:g}%)" for name, value in thresholds)
        legend.append(f'<li><span class="key-threshold"></span>where {where} begin</li>')
    if intervals:
        legend.append(f'<li><span class="key-interval"></span>{escape(interval_key)}</li>')
    if rated:
        legend.append(
            '<li><svg class="key-diamond" width="16" height="18" aria-hidden="true" '
            'focusable="false" xmlns="http://www.w3.org/2000/svg">'
            f"{_diamond('50%', 9, 7)}</svg>your self-rating</li>"
        )
    out.append(f'<ul class="chart-key" aria-label="Key">{"".join(legend)}</ul>')
    out.append("</div>")
    return Markup("\n".join(out))


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]  # one percentage per attempt
    css: str  # class that colours the line


PLOT_HEIGHT = 200  # the trend's plot, px: 2 px per point of score
PLOT_TOP = 10  # room above the 100% line for a dot
MAX_LABELS = 6  # attempt numbers under the trend, so that they never crowd


def _label_indexes(count: int, most: int = MAX_LABELS) -> list[int]:
    """Which of ``count`` attempts get their number under the trend: all of them up to
    ``most``, else about ``most`` evenly spread, the first and the last always."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


def trend(labels: Sequence[str], series: Sequence[Series], *, chart_id: str = "trend") -> Markup:
    """Lines of scores over successive attempts (at least two), 0-100% up the side.

    The lines are drawn in a stretched viewBox (0-100 both ways; strokes keep their
    width through ``vector-effect`` in the CSS) inside an SVG without a viewBox, whose
    dots and attempt numbers sit at percentages of the width and whose text keeps its
    pixel size; the 0-100% scale and the legend are HTML beside and under it.
    """
    if len(labels) < 2:
        raise ValueError("a trend needs at least two attempts")
    inset = 3.0  # percent of the width kept free at each side for the end dots
    step = (100 - 2 * inset) / (len(labels) - 1)
    height = PLOT_TOP + PLOT_HEIGHT + 26

    def x(i: int) -> float:
        return round(inset + i * step, 2)

    def y(value: float) -> float:
        return round(PLOT_TOP + PLOT_HEIGHT * (1 - value / 100), 1)

    scale = "".join(f"<span>{tick}%</span>" for tick in reversed(TICKS))
    out = [
        '<div class="trend-chart">',
        f'<div class="trend-scale" aria-hidden="true">{scale}</div>',
        f'<svg class="chart trend-plot" width="100%" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">Scores over your attempts</title>',
        _desc(
            chart_id,
            "; ".join(f"{s.name}: " + ", ".join(f"{v}%" for v in s.values) for s in series),
        ),
        f'<svg class="trend-lines" x="0" y="{PLOT_TOP}" width="100%" height="{PLOT_HEIGHT}" '
        'viewBox="0 0 100 100" preserveAspectRatio="none">',
    ]
    for tick in TICKS:
        out.append(f'<line class="grid" x1="0" y1="{100 - tick}" x2="100" y2="{100 - tick}"/>')
    for s in series:
        points = " ".join(f"{x(i)},{round(100 - v, 1)}" for i, v in enumerate(s.values))
        out.append(f'<polyline class="line {escape(s.css)}" points="{points}"/>')
    out.append("</svg>")
    for s in series:
        for i, v in enumerate(s.values):
            out.append(f'<circle class="dot {escape(s.css)}" cx="{x(i)}%" cy="{y(v)}" r="4"/>')
    shown = _label_indexes(len(labels))
    for i in shown:
        anchor = "start" if i == 0 else "end" if i == len(labels) - 1 else "middle"
        out.append(
            f'<text class="tick" x="{x(i) if anchor == "middle" else (0 if i == 0 else 100)}%" '
            f'y="{height - 6}" text-anchor="{anchor}">{escape(labels[i])}</text>'
        )
    out.append("</svg>")
    key = "".join(
        f'<li><span class="key-line {escape(s.css)}"></span>{escape(s.name)}</li>' for s in series
    )
    out.append(f'<ul class="chart-key" aria-label="Key">{key}</ul>')
    out.append("</div>")
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
