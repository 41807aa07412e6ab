"""Submit a page's form the way a browser would: read its fields out of the HTML."""

from html.parser import HTMLParser

from werkzeug.datastructures import MultiDict


class _FormParser(HTMLParser):
    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.found = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: dict | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if not self.found and a.get("action") == self.action:
                self.inside = self.found = True
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file"):
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a and not self._select_chosen:
                self._select_chosen = True
                self.fields.append((self._select, value))

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            value = "".join(self._text)
            # Browsers drop the one newline right after <textarea>.
            self.fields.append((self._textarea, value[1:] if value.startswith("\n") else value))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                self.fields.append((self._select, self._select_first))
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)


def form_fields(page: str, action: str) -> MultiDict:
    """The fields (in document order) the form posting to `action` would send as it stands."""
    parser = _FormParser(action)
    parser.feed(page)
    assert parser.found, f"no form posting to {action}"
    return MultiDict(parser.fields)


def with_values(fields: MultiDict, **changes) -> MultiDict:
    """The fields with some replaced (a list value replaces every value of a key), order kept."""
    out = MultiDict()
    done = set()
    for key, value in fields.items(multi=True):
        if key in changes:
            if key not in done:
                new = changes[key]
                for v in new if isinstance(new, list) else [new]:
                    out.add(key, v)
                done.add(key)
            continue
        out.add(key, value)
    for key, new in changes.items():
        if key not in done:
            for v in new if isinstance(new, list) else [new]:
                out.add(key, v)
    return out
