"""Fill an HTML form the way a person would: hidden fields kept, one choice per group."""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, field: str):
        super().__init__()
        self.field = field
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self._form = {"action": a.get("action", ""), "fields": {}, "choices": {}}
        elif self._form is None:
            return
        elif tag == "input":
            kind, name = a.get("type", "text"), a.get("name")
            if not name:
                return
            if kind in ("radio", "checkbox"):
                self._form["choices"].setdefault(name, []).append(a.get("value", "on"))
            elif kind not in ("submit", "button"):
                self._form["fields"][name] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and a.get("value"):
            self._form["choices"].setdefault(self._select, []).append(a["value"])
        elif tag == "textarea" and a.get("name"):
            self._form["fields"][a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def fill(html: str, values: dict | None = None, field: str = "csrf_token") -> tuple[str, dict]:
    """The action and data of the first POST form that has the named field."""
    parser = _FormParser(field)
    parser.feed(html)
    for form in parser.forms:
        if field in form["fields"] or field in form["choices"]:
            data = dict(form["fields"])
            for name, options in form["choices"].items():
                data.setdefault(name, options[0])
            data.update(values or {})
            return form["action"], data
    raise ValueError(f"no POST form with a field named {field!r}")
