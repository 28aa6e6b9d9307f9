"""The charts: well-formed, accessible, no inline styles, values where they belong, and
text that never scales with the screen (no viewBox around any words)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from quiz.charts import Bar, Series, _label_indexes, area_bars, histogram, trend

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def bars_chart(**kw):
    return area_bars(
        [
            Bar("Technical", 50, "adequate", rated=75, low=38, high=62),
            Bar("Business <B2B>", 100, "strength", low=91, high=100),
            Bar("Analytical", 0, "gap", low=0, high=9),
        ],
        [("adequate", 50), ("strength", 75)],
        **kw,
    )


def rows(chart) -> list[ET.Element]:
    return chart.findall("./ol/li")


def test_area_bars_are_rows_of_words_with_a_track_each():
    chart = parse(bars_chart())
    assert chart.get("class") == "area-chart" and chart.get("id") == "areas"
    names = ["".join(r.find(".//span[@class='area-name']").itertext()) for r in rows(chart)]
    assert names == ["Technical adequate", "Business <B2B> strength", "Analytical gap"]
    figures = ["".join(r.find(".//span[@class='area-figure']").itertext()) for r in rows(chart)]
    assert figures[0] == "50% 90% interval 38–62%; your self-rating 75%"
    assert figures[1] == "100% 90% interval 91–100%"
    assert "&lt;B2B&gt;" in str(bars_chart())  # escaped in the markup, intact above
    assert [r.get("class") for r in rows(chart)] == [
        "area-row area-row-adequate",
        "area-row area-row-strength",
        "area-row area-row-gap",
    ]


def test_tracks_hold_no_text_and_no_viewbox_so_nothing_in_them_scales():
    chart = parse(bars_chart())
    for svg in chart.iter(f"{SVG}svg"):
        assert svg.get("viewBox") is None
    tracks = [r.find(f"{SVG}svg") for r in rows(chart)]
    assert all(t.get("aria-hidden") == "true" and t.get("class") == "area-track" for t in tracks)
    assert all(not list(t.iter(f"{SVG}text")) for t in tracks)


def test_bars_intervals_thresholds_and_self_rating_sit_at_their_percentages():
    tracks = [r.find(f"{SVG}svg") for r in rows(parse(bars_chart()))]
    bars = [next(e for e in t.iter(f"{SVG}rect") if "bar" in e.get("class")) for t in tracks]
    assert [b.get("class") for b in bars] == [
        "bar fill-adequate",
        "bar fill-strength",
        "bar fill-gap",
    ]
    assert [b.get("width") for b in bars] == ["50%", "100%", "0.5%"]  # a zero still shows a sliver
    band = next(e for e in tracks[0].iter(f"{SVG}rect") if e.get("class") == "interval-band")
    assert (band.get("x"), band.get("width")) == ("38%", "24%")
    whiskers = [e for e in tracks[0].iter(f"{SVG}line") if e.get("class") == "interval"]
    assert {w.get("x1") for w in whiskers} == {"38%", "62%"}
    thresholds = [
        e.get("x1") for e in tracks[0].iter(f"{SVG}line") if e.get("class") == "threshold"
    ]
    assert thresholds == ["50%", "75%"]
    marks = [e for t in tracks for e in t.iter(f"{SVG}svg") if e.get("class") == "self-rating-mark"]
    assert [m.get("x") for m in marks] == ["75%"]  # only Technical was rated


def test_the_axis_and_key_are_words_at_their_own_size():
    chart = parse(bars_chart())
    axis = chart.find(f"{SVG}svg")
    assert axis.get("class") == "area-axis" and axis.get("viewBox") is None
    ticks = [(t.get("x"), t.get("text-anchor"), t.text) for t in axis.iter(f"{SVG}text")]
    assert ticks[0] == ("0%", "start", "0%") and ticks[-1] == ("100%", "end", "100%")
    key = "".join(chart.find("./ul").itertext())
    assert "where adequate (50%) and strength (75%) begin" in key
    assert "90% interval" in key and "your self-rating" in key
    bare = parse(area_bars([Bar("Technical", 40, "gap")], [("adequate", 50)]))
    key = "".join(bare.find("./ul").itertext())
    assert "interval" not in key and "self-rating" not in key  # only what the chart shows


def test_no_inline_styles_or_scripts():
    for markup in (
        bars_chart(),
        trend(["#1", "#2"], [Series("Overall", [40, 60], "line-overall")]),
        histogram([1, 2], ["0–50%", "50–100%"]),
    ):
        text = str(markup)
        assert "style=" not in text and "<script" not in text and "<style" not in text


def test_chart_ids_can_be_made_unique():
    assert 'id="other"' in str(bars_chart(chart_id="other"))
    assert 'id="t2-title"' in str(trend(["#1", "#2"], [Series("O", [1, 2], "x")], chart_id="t2"))


def plot(markup) -> ET.Element:
    return parse(markup).find(f"{SVG}svg")


def test_trend_draws_each_series_through_its_points():
    markup = trend(
        ["#1", "#2", "#3"],
        [
            Series("Overall", [0, 50, 100], "line-overall"),
            Series("Technical", [25, 25, 25], "line-area-1"),
        ],
    )
    svg = plot(markup)
    assert svg.get("role") == "img" and svg.get("viewBox") is None
    assert svg.get("aria-labelledby") == "trend-title trend-desc"
    lines = [p for p in svg.iter(f"{SVG}polyline")]
    assert [ln.get("class") for ln in lines] == ["line line-overall", "line line-area-1"]
    ys = [float(pt.split(",")[1]) for pt in lines[0].get("points").split()]
    assert ys == [100, 50, 0]  # higher scores are drawn higher up
    assert {pt.split(",")[1] for pt in lines[1].get("points").split()} == {"75"}
    assert "Overall: 0%, 50%, 100%" in svg.find(f"{SVG}desc").text
    # The lines are stretched in their own viewBox; dots and words are not.
    stretched = next(e for e in svg.iter(f"{SVG}svg") if e.get("class") == "trend-lines")
    assert stretched.get("viewBox") == "0 0 100 100"
    assert stretched.get("preserveAspectRatio") == "none"
    assert not list(stretched.iter(f"{SVG}text")) and not list(stretched.iter(f"{SVG}circle"))
    dots = [c.get("cx") for c in svg.findall(f"{SVG}circle")]
    assert dots[:3] == ["3.0%", "50.0%", "97.0%"]
    key = "".join(parse(markup).find("./ul").itertext())
    assert key == "OverallTechnical"
    scale = [s.text for s in parse(markup).find("./div").findall("span")]
    assert scale == ["100%", "75%", "50%", "25%", "0%"]


def test_trend_numbers_at_most_six_attempts_under_it():
    assert _label_indexes(3) == [0, 1, 2]
    many = _label_indexes(20)
    assert len(many) <= 6 and many[0] == 0 and many[-1] == 19
    markup = str(trend([f"#{i}" for i in range(1, 21)], [Series("O", list(range(20)), "o")]))
    assert len(re.findall(r'<text class="tick"', markup)) == len(many)


def test_trend_needs_two_attempts():
    with pytest.raises(ValueError):
        trend(["#1"], [Series("Overall", [50], "line-overall")])
