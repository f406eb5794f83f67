"""What a new user stumbled on, measured in the page: charts on phones and in Arabic, the
translation matrix, the Generate page's fields, bidirectional text in lesson embeds, numbers,
the multiple-answer hint, and how static files travel."""

import re
from datetime import date

import pytest
from sqlmodel import Session

from navigator.outreach import sample
from tests.browser.conftest import LiveServer, new_context, shot, sign_in
from tests.browser.test_accessibility import ids

COURSE = "/learn/llm-literacy"
LESSON = f"{COURSE}/modules/03-hallucinations/lessons/01-plausible-but-false"
LAYOUT_PROGRAMME = "Layout check programme"

# Every chart on the page: its text at least the size of the page's small print, inside the
# drawing, not cut short, over neither another text nor a bar.
CHART_PROBLEMS = """() => {
  const probe = document.createElement('p');
  probe.className = 'small';
  probe.textContent = 'x';
  document.querySelector('main').append(probe);
  const smallest = parseFloat(getComputedStyle(probe).fontSize);
  probe.remove();
  const problems = [];
  const apart = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) <= 1
    || Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) <= 1;
  const charts = document.querySelectorAll('svg.chart, svg.bias-chart');
  for (const svg of charts) {
    const name = svg.id || svg.getAttribute('class');
    const box = svg.getBoundingClientRect();
    const scale = svg.getScreenCTM().a;
    const texts = Array.from(svg.querySelectorAll('text'))
      .filter(t => t.getClientRects().length && getComputedStyle(t).display !== 'none');
    const bars = Array.from(svg.querySelectorAll('rect')).map(r => r.getBoundingClientRect());
    const seen = [];
    for (const t of texts) {
      const r = t.getBoundingClientRect();
      const label = `${name}: “${t.textContent}”`;
      const size = parseFloat(getComputedStyle(t).fontSize) * scale;
      if (size < smallest - 0.05)
        problems.push(`${label} drawn at ${size.toFixed(1)} px, small print is ${smallest} px`);
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1
          || r.bottom > box.bottom + 1)
        problems.push(`${label} runs out of the chart`);
      if (t.textContent.includes('…')) problems.push(`${label} is cut short`);
      if (!r.width) problems.push(`${label} is not drawn`);
      for (const [other, o] of seen)
        if (!apart(r, o)) problems.push(`${label} overlaps “${other}”`);
      for (const bar of bars)
        if (bar.width && !apart(r, bar)) problems.push(`${label} sits on a bar`);
      seen.push([t.textContent, r]);
    }
  }
  return {charts: charts.length, problems};
}"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """A server of its own: the trainer journey changes the translation states measured here."""
    server = LiveServer(tmp_path_factory.mktemp("own-server"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def layout(live_server):
    """A programme offering the course (real topic names) with a year of outreach in it."""
    from sqlalchemy.exc import OperationalError

    from navigator.learning import services as learning

    app = live_server.app
    found = ids(live_server)
    steps = {
        "programme": lambda s: sample.generate(s, programme_name=LAYOUT_PROGRAMME,
                                               activities=1, navigators=4, months=1).id,
        "course": lambda s: learning.offer_course(s, made["programme"], found["course"]),
        "activities": lambda s: sample.generate(s, programme_name=LAYOUT_PROGRAMME,
                                                activities=150, navigators=4, months=12,
                                                seed=19),
    }
    made = {}
    for step, do in steps.items():
        for attempt in range(6):  # the server's job worker may hold the write lock a while
            try:
                with app.test_request_context(), Session(app.extensions["navigator.db"]) as s:
                    made[step] = do(s)
                    s.commit()
                break
            except OperationalError:
                if attempt == 5:
                    raise
    return {**found, "layout": made["programme"]}


def _open(browser, server, role, locale="en", width=360, javascript=True):
    context = new_context(browser, locale=locale.replace("_", "-"), width=width,
                          javascript=javascript)
    page = context.new_page()
    page.set_default_timeout(120_000)  # the first sandbox page trains the models
    sign_in(page, server, role)
    return context, page


def _charts_are_readable(page, name: str) -> int:
    found = page.evaluate(CHART_PROBLEMS)
    if found["problems"]:
        shot(page, f"charts-{name}")
    assert not found["problems"], "\n".join(found["problems"])
    return found["charts"]


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("locale", ["en", "ar", "hi"])
def test_outreach_charts_reflow_and_stay_readable(browser, live_server, layout, locale, width):
    context, page = _open(browser, live_server, "admin", locale, width)
    report = f"{live_server.url}/outreach/programmes/{layout['layout']}/report"
    try:
        page.goto(report)
        assert _charts_are_readable(page, f"report-{locale}-{width}") >= 9
        topics = page.locator("#chart-topic text").all_text_contents()
        assert not any("…" in t for t in topics)
        shown = page.evaluate("""() => Array.from(document.querySelectorAll('#chart-month text'))
            .filter(t => getComputedStyle(t).display !== 'none').length""")
        assert page.locator("#chart-month circle").count() >= 10
        if width == 360:  # a phone names fewer months
            assert shown <= 3 + 3  # months named, and the three grid counts
        this_month = date.today().replace(day=1)
        page.goto(f"{report}?date_from={this_month.isoformat()}&date_to={date.today()}")
        _charts_are_readable(page, f"report-one-month-{locale}-{width}")
        month = page.locator("#chart-month")
        assert month.locator("circle").count() == 0, "a single month drawn as a lone dot"
        assert month.locator("rect").count() == 1
    finally:
        context.close()


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("locale", ["en", "ar"])
def test_the_bias_chart_reads_in_every_direction(browser, live_server, locale, width):
    context, page = _open(browser, live_server, "navigator", locale, width)
    try:
        page.goto(live_server.url + "/sandbox/scenarios/bias-probe")
        assert _charts_are_readable(page, f"bias-{locale}-{width}") == 1
        texts = page.locator("svg.bias-chart text").all_text_contents()
        assert len(texts) == 2 + 2 * 2 * 2  # two groups; per set its name and its share
        # One precision per table: every share and probability with the same decimals.
        for table in page.locator("#results table").all():
            cells = [c for c in table.locator("td").all_inner_texts() if "%" in c]
            decimals = {len(re.sub(r"\D", "", c.split(".")[-1])) if "." in c else 0
                        for c in cells}
            assert len(decimals) <= 1, cells
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_the_training_chart_reads_on_a_phone(browser, live_server, locale):
    context, page = _open(browser, live_server, "navigator", locale, 360)
    try:
        page.goto(live_server.url + "/sandbox/scenarios/overfitting")
        assert _charts_are_readable(page, f"training-{locale}") == 2
        assert page.locator("svg.loss-chart polyline").count() == 4  # both losses, twice
    finally:
        context.close()


def test_the_translation_matrix_fits_and_names_unreviewed_work(browser, live_server, layout):
    for locale in ("en", "hi", "fr"):
        context, page = _open(browser, live_server, "trainer", locale, 1280)
        try:
            page.goto(f"{live_server.url}/author/courses/{layout['course']}/translations")
            fits = page.evaluate("""() => {
                const table = document.querySelector('table.matrix');
                const cut = Array.from(table.querySelectorAll('td, th'))
                  .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent);
                return {over: table.scrollWidth - table.clientWidth, cut};
            }""")
            if fits["over"] > 1 or fits["cut"]:
                shot(page, f"matrix-{locale}")
            assert fits["over"] <= 1 and not fits["cut"], fits
            legend = page.locator(".legend .status-current").inner_text()
            cells = set(page.locator("td.status-current").all_inner_texts())
            assert cells == {legend}, (cells, legend)  # the legend's own words
            if locale == "en":
                assert legend == "up to date, not reviewed"
        finally:
            context.close()


@pytest.mark.parametrize("width", [1280, 800])
def test_the_generate_fields_line_up(browser, live_server, width):
    context, page = _open(browser, live_server, "navigator", "hi", width)
    try:
        page.goto(live_server.url + "/sandbox/generate")
        rows = page.evaluate("""() => {
            const rows = {};
            for (const f of document.querySelectorAll('.number-fields .field')) {
              const top = Math.round(f.getBoundingClientRect().top);
              (rows[top] = rows[top] || []).push([
                Math.round(f.querySelector('label').getBoundingClientRect().bottom),
                Math.round(f.querySelector('input').getBoundingClientRect().top)]);
            }
            return Object.values(rows);
        }""")
        assert max(len(row) for row in rows) >= 3, rows  # side by side
        for row in rows:
            assert len({label for label, _ in row}) == 1, f"labels at different heights: {row}"
            assert len({box for _, box in row}) == 1, f"boxes at different heights: {row}"
    finally:
        context.close()


def test_arabic_embeds_keep_quotes_and_ranges_in_order(browser, live_server):
    context, page = _open(browser, live_server, "navigator", "ar", 1280)
    try:
        for path in (LESSON, "/sandbox/scenarios/confident-wrong-fact"):
            page.goto(live_server.url + path)
            quoted = page.evaluate("""() => Array.from(document.querySelectorAll('q')).map(q => {
                const inner = q.querySelector('bdi');
                if (!inner) return null;
                const a = q.getBoundingClientRect(), b = inner.getBoundingClientRect();
                return {lines: q.getClientRects().length, before: a.right - b.right,
                        after: b.left - a.left, quotes: getComputedStyle(q).quotes};
            })""")
            assert quoted and None not in quoted, f"{path}: a quotation without its isolate"
            for q in quoted:  # a quote mark at each end of the isolated prompt
                if q["lines"] == 1:
                    assert q["before"] > 2 and q["after"] > 2, q
                assert "«" in q["quotes"], q
            ranges = page.evaluate("""() => Array.from(document.querySelectorAll('.legend bdi'))
                .filter(b => /\\d+\\D+\\d+/.test(b.textContent)).map(b => {
                  const node = b.firstChild, text = node.textContent;
                  const at = (s, from) => {
                    const i = text.indexOf(s, from), r = document.createRange();
                    r.setStart(node, i); r.setEnd(node, i + s.length);
                    return r.getBoundingClientRect().left;
                  };
                  const [low, high] = text.match(/\\d+/g);
                  return [text, at(low, 0), at(high, text.indexOf(low) + low.length)];
                })""")
            assert len(ranges) >= 3 and len(ranges) % 3 == 0, ranges
            for text, low, high in ranges:  # every range reads low to high, left to right
                assert low < high, f"{path}: {text} printed reversed"
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_multiple_answer_questions_say_choose_all_once(browser, live_server, locale):
    phrase = {"en": "Choose all that apply", "ar": "اختر كل ما ينطبق"}[locale]
    context, page = _open(browser, live_server, "navigator", locale, 360)
    try:
        page.goto(f"{live_server.url}{COURSE}/modules/04-bias-and-fairness/quiz")
        legends = page.locator("form.quiz legend").all_inner_texts()
        said = [legend.count(phrase) for legend in legends]
        assert max(said) == 1 and said.count(1) >= 2, said
    finally:
        context.close()


def test_the_course_blurb_and_its_duration_agree(browser, live_server):
    context, page = _open(browser, live_server, "navigator", "en", 1280)
    try:
        for path in ("/learn/", f"{COURSE}/"):
            page.goto(live_server.url + path)
            text = page.locator("main").inner_text()
            figures = set(re.findall(r"About \d+ hours?", text))
            assert len(figures) == 1 and "{duration}" not in text, (path, figures)
            assert not re.search(r"About (one|two|three|four|five|six|seven|eight|nine|ten)\b",
                                 text)
    finally:
        context.close()


def test_static_files_come_compressed_hashed_and_cached(browser, live_server):
    context = new_context(browser)
    page = context.new_page()
    seen = []
    page.on("response", lambda r: seen.append(r) if "/static/navigator.css" in r.url else None)
    try:
        page.goto(live_server.url + "/sign-in")
        css = seen[0]
        assert re.search(r"navigator\.css\?v=[0-9a-f]{12}$", css.url)
        headers = css.all_headers()
        assert headers.get("content-encoding") in ("gzip", "br"), headers
        assert "max-age=31536000" in headers["cache-control"]
        assert "immutable" in headers["cache-control"]
    finally:
        context.close()
