"""Lesson markdown: what trainers write renders, and nothing a browser would run survives."""

from html.parser import HTMLParser

import pytest
from flask import Flask
from flask_babel import Babel
from markupsafe import Markup

from navigator.learning.render import Links, render, scheme_of

LINKS = Links(module="/learn/demo/modules/{slug}/", asset="/learn/demo/assets/{name}")

VECTORS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<style>body{display:none}</style>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](javascript&#58;alert(1))",
    "[a](&#106;avascript:alert(1))",
    "[a](&#x6A;&#x61;vascript:alert(1))",
    "[a](java&#x09;script:alert(1))",
    "[a](<java\tscript:alert(1)>)",
    "[a](%6Aavascript:alert(1))",
    "[a](javascript%3Aalert(1))",
    "[a](\x01javascript:alert(1))",
    '[a](javascript:alert(1) "title")',
    "[a](vbscript:msgbox(1))",
    "[a](file:///etc/passwd)",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](javascript:alert(1))",
    "![x](http://evil.example/x.png)",
    "![x](//evil.example/x.png)",
    "![x](/etc/passwd.png)",
    "![x](../assets/evil.html)",
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "<vbscript:msgbox(1)>",
    "[a][x]\n\n[x]: javascript:alert(1)",
    "[a][x]\n\n[x]: data:text/html,<script>alert(1)</script>",
    "![a][x]\n\n[x]: http://evil.example/track.png",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    '[a](https://ok.example" onmouseover="alert(1))',
    '[a](<https://ok.example" onmouseover="alert(1)>)',
    '![a" onerror="alert(1)](../assets/pic.png)',
    "[a](module:../../admin)",
    "[a](module:m2\"><script>alert(1)</script>)",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "```\"><script>alert(1)</script>\nx\n```",
    "::: try\n<script>alert(1)</script>\n:::",
    "::: watch <img src=x onerror=alert(1)>\ntext\n:::",
    "```sandbox\n\"><script>alert(1)</script>\n```",
    "```sandbox\n<!--sandbox:x-->\n```",
    "text [^x]\n\n[^x]: <script>alert(1)</script> [b](javascript:alert(1))",
    "## <img src=x onerror=alert(1)> heading",
    "| <script>alert(1)</script> | b |\n|---|---|\n| [a](javascript:alert(1)) | x |",
    "<!--sandbox:token-view--> <!--label:try-->",
    "---\ntitle: <script>alert(1)</script>\n---\nbody",
    "<form action=https://evil.example><button>go</button></form>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<object data=javascript:alert(1)></object><embed src=javascript:alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]

ALLOWED_TAGS = {"p", "a", "em", "strong", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
                "ul", "ol", "li", "blockquote", "hr", "br", "img", "table", "thead", "tbody",
                "tr", "th", "td", "sup", "section", "aside", "figure"}
ALLOWED_ATTRS = {"href", "src", "alt", "title", "id", "class", "loading", "data-scenario",
                 "start"}


class Audit(HTMLParser):
    """Collects every tag, attribute and comment a browser would see."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRS:
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href" and scheme_of(value or "") not in {"", "http", "https", "mailto"}:
                self.problems.append(f"href {value!r}")
            if name == "src" and not (value or "").startswith("/learn/demo/assets/"):
                self.problems.append(f"src {value!r}")

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.problems.append(f"comment {data!r}")


def audit(html: str) -> list[str]:
    parser = Audit()
    parser.feed(html)
    parser.close()
    return parser.problems


def test_there_are_enough_vectors():
    assert len(VECTORS) >= 25


@pytest.mark.parametrize("vector", VECTORS)
def test_no_xss_vector_survives(vector):
    html = str(render(vector, links=LINKS))
    assert audit(html) == [], html
    assert "<script" not in html.lower()


def test_all_vectors_together_in_one_lesson():
    html = str(render("\n\n".join(VECTORS), links=LINKS, doc_id="x"))
    assert audit(html) == []


def test_refused_links_keep_their_text():
    html = str(render("[read this](javascript:alert(1)) and [that](https://ok.example)"))
    assert '<a href="https://ok.example">that</a>' in html
    assert "read this" in html and "href=\"javascript" not in html


def test_lesson_features():
    body = ("## What a token is\n\n| a | b |\n|--:|:-:|\n| 1 | 2 |\n\n"
            "A claim[^k].\n\n[^k]: Smith 2024.\n\n::: try\nDo it.\n:::\n\n"
            "::: watch\nCareful.\n:::\n\n[next](module:m2#intro) ![chart](../assets/pic.png)\n"
            "[mail](mailto:a@example.org) [rel](other-page)\n")
    html = str(render(body, links=LINKS, doc_id="l1"))
    assert '<h2 id="what-a-token-is">' in html
    assert '<th class="align-right">a</th>' in html and "style=" not in html
    assert 'href="#fn-l1-1"' in html and "Smith 2024." in html
    assert '<aside class="admonition try">' in html and "Try this" in html
    assert '<aside class="admonition watch">' in html and "Watch out" in html
    assert 'href="/learn/demo/modules/m2/#intro"' in html
    assert 'src="/learn/demo/assets/pic.png"' in html
    assert 'href="mailto:a@example.org"' in html and 'href="other-page"' in html


def test_without_link_targets_module_links_and_images_fall_back_to_text():
    html = str(render("[next](module:m2) ![a chart](../assets/pic.png)"))
    assert "<a" not in html and "<img" not in html
    assert "next" in html and "a chart" in html


def test_front_matter_is_ignored():
    html = str(render("---\ntitle: Secret title\n---\nBody text"))
    assert "Secret title" not in html and "Body text" in html


def test_sandbox_block_without_sandbox_names_the_scenario():
    html = str(render("```sandbox\ntoken-view\n```"))
    assert '<figure class="sandbox-embed" data-scenario="token-view">' in html
    assert "token-view" in html and "<a " not in html


def test_sandbox_block_links_to_the_sandbox_when_it_exists():
    app = Flask(__name__)
    Babel(app)
    app.add_url_rule("/sandbox/scenarios/<name>", endpoint="sandbox.scenario",
                     view_func=lambda name: name)
    with app.test_request_context():
        html = str(render("```sandbox\ntoken-view\n```"))
    assert 'href="/sandbox/scenarios/token-view"' in html


def test_sandbox_embed_supplies_the_precomputed_run_and_strings_are_escaped():
    def embed(name):
        return Markup('<div class="run">{}</div>').format(name)

    html = str(render("```sandbox\ntoken-view\n```", embed=embed))
    assert '<div class="run">token-view</div>' in html
    html = str(render("```sandbox\ntoken-view\n```", embed=lambda name: "<b>raw</b>"))
    assert "&lt;b&gt;raw&lt;/b&gt;" in html
    html = str(render("```sandbox\ntoken-view\n```", embed=lambda name: None))
    assert "Sandbox activity: token-view" in html


def test_rendering_is_cached_per_body():
    body = "Cached *once*."
    assert render(body, links=LINKS) == render(body, links=LINKS)
    from navigator.learning.render import _html

    hits = _html.cache_info().hits
    render(body, links=LINKS)
    assert _html.cache_info().hits == hits + 1
