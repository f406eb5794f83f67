"""Server-drawn SVG charts: accessible names, escaping, hidden counts, and mirroring for RTL."""

import xml.etree.ElementTree as ET

from navigator.outreach.charts import WIDTH, bar_chart, line_chart

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


def test_bars_mirror_in_right_to_left_languages(app):
    items = [("مكتبة", 40, "40")]
    with app.test_request_context():
        ltr = parse(bar_chart("c5", "T", items)).find("svg:rect", NS)
        rtl_svg = parse(bar_chart("c5", "T", items, rtl=True))
    rtl = rtl_svg.find("svg:rect", NS)
    assert float(ltr.get("width")) == float(rtl.get("width"))
    assert abs(float(rtl.get("x")) + float(rtl.get("width"))
               - (WIDTH - float(ltr.get("x")))) < 0.2
    assert rtl_svg.get("direction") == "rtl"
    label = rtl_svg.findall("svg:text", NS)[0]
    # The label's end meets the bar, in the chart's own (right-to-left) direction.
    assert label.text == "مكتبة" and label.get("text-anchor") == "end"
    assert float(label.get("x")) > float(rtl.get("x")) + float(rtl.get("width"))


def test_line_chart_breaks_at_hidden_points_and_runs_right_to_left(app):
    points = [("Jan", 10, "10"), ("Feb", None, "<5"), ("Mar", 30, "30"), ("Apr", 20, "20")]
    with app.test_request_context():
        ltr = parse(line_chart("c6", "Trend", points))
        rtl = parse(line_chart("c6", "Trend", points, rtl=True))
    assert len(ltr.findall("svg:polyline", NS)) == 1  # Mar–Apr; Jan stands alone
    assert len(ltr.findall("svg:circle", NS)) == 3
    xs = [float(c.get("cx")) for c in ltr.findall("svg:circle", NS)]
    rtl_xs = [float(c.get("cx")) for c in rtl.findall("svg:circle", NS)]
    assert xs == sorted(xs) and rtl_xs == sorted(rtl_xs, reverse=True)
    assert ltr.find("svg:desc", NS).text == "Jan: 10; Feb: <5; Mar: 30; Apr: 20"


def test_empty_charts_say_there_is_no_data(app):
    with app.test_request_context():
        assert "No data" in str(bar_chart("c7", "T", []))
        assert "No data" in str(line_chart("c8", "T", []))
