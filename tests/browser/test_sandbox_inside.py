"""The attention view, the preferences and the three stages on a 360-pixel phone, both ways."""

import pytest

from tests.browser.conftest import new_context, shot, sign_in

# What sticks out of the page sideways: anything wider than the viewport that is not inside a
# box that scrolls on its own (every table does, as the full attention maps, on purpose).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('.table-scroll, table')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > width + 1 || box.left < -1)) {
      out.push(el.tagName + '.' + el.className + ' ' + Math.round(box.left) + '..'
               + Math.round(box.right));
    }
  }
  return {page: document.documentElement.scrollWidth, width, out: out.slice(0, 5)};
}"""


def _phone(browser, server, locale):
    context = new_context(browser, locale=locale, width=360, javascript=False)
    page = context.new_page()
    page.set_default_timeout(180_000)  # the first page trains the models
    sign_in(page, server, "navigator")
    return context, page


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_the_inside_pages_fit_a_phone_without_javascript(browser, live_server, locale):
    context, page = _phone(browser, live_server, locale)
    try:
        for path in ("/sandbox/attention", "/sandbox/preferences", "/sandbox/stages",
                     "/sandbox/scenarios/attention-pronoun"):
            page.goto(live_server.url + path)
            found = page.evaluate(OVERFLOW)
            if found["out"] or found["page"] > found["width"]:
                shot(page, f"inside-{locale}{path}")
            assert found["page"] <= found["width"] and not found["out"], (path, found)
        page.goto(live_server.url + "/sandbox/attention")
        # The head-by-head tables themselves fit: nothing to scroll on a phone.
        for layer in page.locator("table.attention:not(.full)").all():
            assert layer.evaluate("t => t.scrollWidth <= t.clientWidth + 1")
        cell = page.locator("table.attention td").first.inner_text().strip()
        assert cell.endswith("%") or cell.startswith("%") or "٪" in cell
        # Pick an answer with the keyboard's button, no script needed.
        page.goto(live_server.url + "/sandbox/preferences")
        page.locator("button[name=pick]").first.click()
        assert page.locator(".flash, [role=status], .success").count() >= 1
    finally:
        context.close()
