"""Server-drawn SVG charts: accessible names, escaping, hidden counts, mirroring for RTL, and
text that reflows instead of shrinking."""

import xml.etree.ElementTree as ET

from navigator.outreach.charts import FONT, bar_chart, line_chart, wrap

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_a_bar_chart_is_a_named_image(app):
    with app.test_request_context():
        svg = parse(bar_chart("c1", "People reached: by site",
                              [("Library", 40, "40"), ("Clinic", 12, "12")], number=str))
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find("svg:title", NS).text == "People reached: by site"
    assert svg.find("svg:title", NS).get("id") == "c1-title"
    assert svg.find("svg:desc", NS).text == "Library: 40; Clinic: 12"
    assert len(svg.findall("svg:rect", NS)) == 2


def test_labels_are_escaped(app):
    with app.test_request_context():
        markup = str(bar_chart("c2", "<b>T</b>", [('<script>"x"</script>', 3, "3")]))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    parse(markup)


def test_hidden_counts_have_no_bar_only_their_mark(app):
    with app.test_request_context():
        svg = parse(bar_chart("c3", "T", [("A", 40, "40"), ("B", None, "<5")]))
    assert len(svg.findall("svg:rect", NS)) == 1
    assert "<5" in [t.text for t in svg.findall("svg:text", NS)]
    assert "B: <5" in svg.find("svg:desc", NS).text


def test_long_lists_chart_the_largest_and_say_so(app):
    items = [(f"Navigator {i}", 100 - i, str(100 - i)) for i in range(25)]
    with app.test_request_context():
        svg = parse(bar_chart("c4", "T", items))
    assert len(svg.findall("svg:rect", NS)) == 20
    assert "20 largest of 25" in svg.find("svg:desc", NS).text


def pct(value: str) -> float:
    assert value.endswith("%"), value
    return float(value[:-1])


def test_bars_mirror_in_right_to_left_languages(app):
    items = [("مكتبة", 40, "40")]
    with app.test_request_context():
        ltr = parse(bar_chart("c5", "T", items)).find("svg:rect", NS)
        rtl_svg = parse(bar_chart("c5", "T", items, rtl=True))
    rtl = rtl_svg.find("svg:rect", NS)
    assert pct(ltr.get("x")) == 0 and pct(ltr.get("width")) == pct(rtl.get("width"))
    assert abs(pct(rtl.get("x")) + pct(rtl.get("width")) - 100) < 0.01
    assert rtl_svg.get("direction") == "rtl"
    label, value = rtl_svg.findall("svg:text", NS)[:2]
    # The label starts at the start edge (the right), its number ends at the other edge.
    assert label.text == "مكتبة" and label.get("text-anchor") == "start"
    assert pct(label.get("x")) == 100
    assert value.text == "40" and value.get("text-anchor") == "end" and pct(value.get("x")) == 0


def test_charts_reflow_instead_of_scaling(app):
    """No viewBox: the text is drawn at its own size on every screen; positions stretch."""
    long = "Costs, environment and accountability of chatbots in community settings"
    with app.test_request_context():
        svg = parse(bar_chart("c9", "T", [(long, 12, "12"), ("Bias", 3, "3")]))
    assert svg.get("viewBox") is None and svg.get("width") == "100%"
    texts = svg.findall("svg:text", NS)
    assert all(float(t.get("font-size")) == FONT >= 14.72 for t in texts)
    shown = " ".join(t.text for t in texts)
    assert "…" not in shown and all(word in shown for word in long.split())
    assert len([t for t in texts if pct(t.get("x")) == 0]) >= 3  # wrapped over lines
    assert wrap("aaa bbbb cccc", 8) == ["aaa bbbb", "cccc"]
    assert wrap("x" * 20, 8) == ["x" * 7 + "-", "x" * 7 + "-", "x" * 6]


def test_line_chart_breaks_at_hidden_points_and_runs_right_to_left(app):
    points = [("Jan", 10, "10"), ("Feb", None, "<5"), ("Mar", 30, "30"), ("Apr", 20, "20")]
    with app.test_request_context():
        ltr = parse(line_chart("c6", "Trend", points))
        rtl = parse(line_chart("c6", "Trend", points, rtl=True))
    joins = [line for line in ltr.findall("svg:line", NS) if line.get("stroke-width") == "2"]
    assert len(joins) == 1  # Mar–Apr; Jan stands alone
    assert len(ltr.findall("svg:circle", NS)) == 3
    xs = [pct(c.get("cx")) for c in ltr.findall("svg:circle", NS)]
    rtl_xs = [pct(c.get("cx")) for c in rtl.findall("svg:circle", NS)]
    assert xs == sorted(xs) and rtl_xs == sorted(rtl_xs, reverse=True)
    assert ltr.find("svg:desc", NS).text == "Jan: 10; Feb: <5; Mar: 30; Apr: 20"


def test_a_trend_of_one_month_is_drawn_as_its_bar(app):
    with app.test_request_context():
        one = parse(line_chart("c10", "Trend", [("May 2026", 14, "14")]))
        hidden = parse(line_chart("c11", "Trend", [("Apr", None, "<5"), ("May", 14, "14")]))
    for svg in (one, hidden):
        assert not svg.findall("svg:circle", NS) and len(svg.findall("svg:rect", NS)) == 1
    assert [t.text for t in one.findall("svg:text", NS)] == ["May 2026", "14"]
    assert "<5" in [t.text for t in hidden.findall("svg:text", NS)]


def test_a_long_trend_names_fewer_months_on_a_phone(app):
    points = [(f"M{i}", i, str(i)) for i in range(1, 13)]
    with app.test_request_context():
        svg = parse(line_chart("c12", "Trend", points))
    months = [t for t in svg.findall("svg:text", NS) if t.text.startswith("M")]
    always = [t.text for t in months if t.get("class") != "wide"]
    assert len(months) <= 6 and len(always) <= 3 and always[-1] == "M12"  # the newest


def test_empty_charts_say_there_is_no_data(app):
    with app.test_request_context():
        assert "No data" in str(bar_chart("c7", "T", []))
        assert "No data" in str(line_chart("c8", "T", []))
