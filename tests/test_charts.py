"""The SVG charts: well-formed, accessible, no inline styles, values where they belong."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from quiz.charts import LABEL, RIGHT, WIDTH, Bar, Series, area_bars, trend

SVG = "{http://www.w3.org/2000/svg}"
PLOT = WIDTH - LABEL - RIGHT


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def bars_chart(**kw):
    return area_bars(
        [
            Bar("Technical", 50, "adequate", rated=75),
            Bar("Business <B2B>", 100, "strength"),
            Bar("Analytical", 0, "gap"),
        ],
        [("adequate", 50), ("strength", 75)],
        **kw,
    )


def test_area_bars_are_an_accessible_image():
    svg = parse(bars_chart())
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "areas-title areas-desc"
    assert svg.find(f"{SVG}title").text == "Score in each area"
    desc = svg.find(f"{SVG}desc").text
    assert "Technical: 50% (adequate), self-rating at 75%" in desc
    assert "Business <B2B>: 100% (strength)" in desc  # escaped in the markup, intact here


def test_bar_widths_are_proportional_and_classed_by_band():
    svg = parse(bars_chart())
    bars = [r for r in svg.iter(f"{SVG}rect") if float(r.get("height")) > 12]
    assert [r.get("class") for r in bars] == [
        "bar band-adequate",
        "bar band-strength",
        "bar band-gap",
    ]
    widths = [float(r.get("width")) for r in bars]
    assert widths[0] == pytest.approx(PLOT / 2, abs=0.1)
    assert widths[1] == pytest.approx(PLOT, abs=0.1)
    assert widths[2] == 1  # a zero score still shows a sliver


def test_self_rating_marker_and_thresholds_sit_at_their_values():
    svg = parse(bars_chart())
    markers = [p for p in svg.iter(f"{SVG}path") if p.get("class") == "self-rating"]
    assert len(markers) == 2  # the Technical rating and the legend
    assert markers[0].get("d").startswith(f"M {LABEL + PLOT * 0.75} ")
    lines = [ln for ln in svg.iter(f"{SVG}line") if ln.get("class") == "threshold"]
    assert [float(ln.get("x1")) for ln in lines] == [LABEL + PLOT * 0.5, LABEL + PLOT * 0.75]


def test_no_inline_styles_or_scripts():
    for markup in (
        bars_chart(),
        trend(["#1", "#2"], [Series("Overall", [40, 60], "line-overall")]),
    ):
        text = str(markup)
        assert "style=" not in text and "<script" not in text and "<style" not in text


def test_chart_ids_can_be_made_unique():
    assert 'id="other-title"' in str(bars_chart(chart_id="other"))


def test_trend_draws_each_series_through_its_points():
    svg = parse(
        trend(
            ["#1", "#2", "#3"],
            [
                Series("Overall", [0, 50, 100], "line-overall"),
                Series("Technical", [25, 25, 25], "line-area-1"),
            ],
        )
    )
    lines = [p for p in svg.iter(f"{SVG}polyline")]
    assert [ln.get("class") for ln in lines] == ["line line-overall", "line line-area-1"]
    ys = [float(pt.split(",")[1]) for pt in lines[0].get("points").split()]
    assert ys[0] > ys[1] > ys[2]  # higher scores are drawn higher up
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2])
    flat = {pt.split(",")[1] for pt in lines[1].get("points").split()}
    assert len(flat) == 1
    assert "Overall: 0%, 50%, 100%" in svg.find(f"{SVG}desc").text


def test_trend_needs_two_attempts():
    with pytest.raises(ValueError):
        trend(["#1"], [Series("Overall", [50], "line-overall")])
