"""The small rules each have one home: what each rule accepts and refuses, and a scan of the
package that fails when a module writes the rule again instead of using its home."""

import ast
import re
from functools import cache
from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes as jnodes
from sqlalchemy import select

from directory import validation

PACKAGE = Path(validation.__file__).parent


@cache
def _modules() -> dict[str, ast.Module]:
    """Every module of the package, parsed, by its path relative to the package."""
    return {
        str(path.relative_to(PACKAGE)): ast.parse(path.read_text(), str(path))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _nodes(kind, *, outside: tuple[str, ...]):
    """(module, node) for every node of `kind` in every module but those `outside`."""
    for name, tree in _modules().items():
        if name not in outside:
            for node in ast.walk(tree):
                if isinstance(node, kind):
                    yield name, node


def _strings(*, outside: tuple[str, ...]):
    for name, node in _nodes(ast.Constant, outside=outside):
        if isinstance(node.value, str):
            yield name, node.value


# --- Slugs: validation.is_slug ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["a", "ana-ruiz", "ana-ruiz-2", "0", "x" * 80, "the-crafted-hand"],
)
def test_a_slug_is_lowercase_words_joined_by_single_hyphens(value):
    assert validation.is_slug(value)
    assert validation.check_slug(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "-a", "a-", "a--b", "Ana", "ana_ruiz", "ana ruiz", "x" * 81, "café", "a\n", "a\x00",
     "²", None, 7],
)  # fmt: skip
def test_anything_else_is_not_a_slug(value):
    assert not validation.is_slug(value)
    with pytest.raises(ValueError):
        validation.check_slug(value)


def test_the_slug_shape_is_written_only_in_validation():
    slug_classes = ("a-z0-9-", "-[a-z0-9]", "a-z0-9]+(?:-")
    copies = [
        (name, text)
        for name, text in _strings(outside=("validation.py",))
        if any(c in text for c in slug_classes)
    ]
    assert copies == []
    # Matching SLUG by hand skips the length limit: use is_slug.
    by_hand = [
        name
        for name, node in _nodes(ast.Attribute, outside=("validation.py",))
        if node.attr in ("match", "fullmatch", "search")
        and isinstance(node.value, ast.Name | ast.Attribute)
        and getattr(node.value, "id", getattr(node.value, "attr", "")) == "SLUG"
    ]
    assert by_hand == []


def test_a_looser_slug_is_refused_by_the_search_api(client):
    # The search's tenant filter took "[a-z0-9-]{1,80}" before: "-a--" is not any practice's.
    answer = client.get("/api/v1/search", query_string={"tenant": "-a--"})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["field"] == "tenant"
    assert client.get("/api/v1/search", query_string={"tenant": "a-b"}).status_code == 200


# --- Row ids: validation.is_row_id and row_id -------------------------------------------------


@pytest.mark.parametrize("value", [1, 42, validation.MAX_ID])
def test_a_row_id_is_a_positive_int_the_database_can_hold(value):
    assert validation.is_row_id(value)
    assert validation.row_id(str(value)) == value


@pytest.mark.parametrize(
    "value", [0, -1, validation.MAX_ID + 1, 2**63 - 1, True, False, 1.0, "1", None]
)
def test_anything_else_is_not_a_row_id(value):
    assert not validation.is_row_id(value)


@pytest.mark.parametrize(
    "raw", ["0", "-1", str(validation.MAX_ID + 1), "9" * 30, "1e3", " 1", "²", "①", "", None]
)
def test_text_that_is_not_a_row_id(raw):
    assert validation.row_id(raw) is None


def test_the_id_range_is_written_only_in_validation():
    # A bound on an id is MAX_ID compared by hand, or the database's integer size spelled out.
    compared = [
        name
        for name, node in _nodes(ast.Compare, outside=("validation.py",))
        if any(isinstance(n, ast.Name) and n.id == "MAX_ID" for n in ast.walk(node))
    ]
    assert compared == []
    powers = [
        name
        for name, node in _nodes(ast.BinOp, outside=("validation.py",))
        if isinstance(node.op, ast.Pow)
        and isinstance(node.left, ast.Constant)
        and node.left.value == 2
        and isinstance(node.right, ast.Constant)
        and node.right.value in (31, 32, 53, 63, 64)
    ]
    limits = [
        name
        for name, node in _nodes(ast.Constant, outside=("validation.py",))
        if node.value in (2**31 - 1, 2**31, 2**63 - 1, 2**63) and not isinstance(node.value, bool)
    ]
    assert powers == [] and limits == []


def test_an_id_route_takes_exactly_the_row_ids(client):
    # The converter's regex and row_id agree: the largest id reaches the view (sign in first),
    # one more matches no route.
    top = f"/dashboard/profiles/a/offices/{validation.MAX_ID}/edit"
    over = f"/dashboard/profiles/a/offices/{validation.MAX_ID + 1}/edit"
    assert client.get(top).status_code == 302
    assert client.get(over).status_code == 404


# --- Email addresses: validation.email_key, same_email, email_is -----------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [("ana@example.com", "ana@example.com"), ("Ana@Example.COM", "ana@example.com"),
     (" ana@example.com\t", "ANA@example.com "), ("ana@example.com\n", "ana@example.com")],
)  # fmt: skip
def test_one_address_however_it_is_typed(a, b):
    assert validation.email_key(a) == validation.email_key(b) == "ana@example.com"
    assert validation.same_email(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("ana@example.com", "ana@example.org"), ("ana@example.com", "an a@example.com"),
     ("ana+x@example.com", "ana@example.com")],
)  # fmt: skip
def test_other_addresses_stay_apart(a, b):
    assert not validation.same_email(a, b)


def test_an_account_is_found_by_its_address_however_typed(app, make_user):
    from directory.accounts.operations import find_user

    with app.app_context():
        user = make_user(email="Ana.Ruiz@Example.com")
        assert find_user("  ana.ruiz@EXAMPLE.com ").id == user.id
        assert find_user("ana.ruiz@example.org") is None


def _lowered(node: ast.AST) -> ast.AST | None:
    """What `node` lowercases: x in x.lower(), x.casefold() or func.lower(x)."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    if node.func.attr in ("lower", "casefold") and not node.args:
        return node.func.value
    if node.func.attr == "lower" and node.args:
        return node.args[0]
    return None


def test_addresses_are_normalised_only_in_validation():
    copies = []
    for name, node in _nodes(ast.Call, outside=("validation.py",)):
        lowered = _lowered(node)
        if lowered is not None and any(
            "email" in text or "address" in text
            for text in (getattr(n, "id", "") or getattr(n, "attr", "") for n in ast.walk(lowered))
        ):
            copies.append((name, node.lineno))
    assert copies == []


# --- Settings: vocabulary.SETTINGS and offers -------------------------------------------------


def test_the_settings_are_spa_medical_and_both():
    from directory import vocabulary

    assert vocabulary.SETTINGS == ("spa", "medical", "both")
    assert [s for s in vocabulary.SETTINGS if vocabulary.offers(s, "medical")] == [
        "medical",
        "both",
    ]
    assert [s for s in vocabulary.SETTINGS if vocabulary.offers(s, "spa")] == ["spa", "both"]
    # A term's leaning is another thing, with its own name.
    assert "either" in vocabulary.LEANINGS and "either" not in vocabulary.SETTINGS


def test_every_table_of_settings_names_each_setting_once(app):
    from directory import vocabulary, web
    from directory.hsds import records
    from directory.practitioners import fields, models
    from directory.search import columns

    settings = set(vocabulary.SETTINGS)
    editor = dict(next(f for f in fields.FIELDS if f.name == "setting").labels)
    for table in (web.SETTING_LABELS, records.SETTING_OF, records.SETTING_NAMES,
                  columns.SETTING_CODES, editor):  # fmt: skip
        assert set(table) == settings
    assert columns.SETTING_NAMES == vocabulary.SETTINGS  # the index stores positions
    checks = [str(getattr(c, "sqltext", "")) for c in models.Practitioner.__table__.constraints]
    assert "setting IN ('spa', 'medical', 'both')" in checks


@pytest.mark.parametrize("setting", ["spa", "medical", "both"])
def test_the_search_api_takes_each_setting(client, setting):
    assert client.get("/api/v1/search", query_string={"setting": setting}).status_code == 200


def test_the_search_api_refuses_another_setting(client):
    answer = client.get("/api/v1/search", query_string={"setting": "either"})
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "setting"


def test_the_settings_are_listed_only_in_vocabulary():
    # A list of all three values, or a test for "both" beside another, writes the rule again.
    values = {"spa", "medical", "both"}
    copies = []
    for name, node in _nodes(ast.Tuple | ast.List | ast.Set, outside=("vocabulary.py",)):
        found = {e.value for e in node.elts if isinstance(e, ast.Constant)}
        if found >= values or ("both" in found and found & {"spa", "medical"}):
            copies.append((name, node.lineno))
    assert copies == []


# --- Paging: directory.paging (db.paginate) and web.page_number ---------------------------------


def test_a_page_of_a_query(app):
    from directory import paging
    from directory.accounts.models import User

    with app.app_context():
        for n in range(5):
            db_add_user(f"user{n}@example.com")
        query = select(User).order_by(User.email)
        first = paging.page_of(query, 1, 2)
        assert [u.email for u in first.items] == ["user0@example.com", "user1@example.com"]
        assert (first.number, first.pages, first.total) == (1, 3, 5)
        assert [u.email for u in paging.page_of(query, 3, 2).items] == ["user4@example.com"]
        assert paging.page_of(query, 4, 2) is None  # past the last
        assert paging.page_of(query, 0, 2) is None
        assert paging.page_of(query, 2, 2, total=5).number == 2  # counted by the caller
        nobody = paging.page_of(query.where(User.id < 0), 1, 2)
        assert (nobody.items, nobody.pages, nobody.total) == ([], 1, 0)  # page 1 always is
        assert paging.page_of(query.where(User.id < 0), 2, 2) is None
        # No page is larger than MAX_PER_PAGE, whatever is asked.
        assert len(paging.page_of(query, 1, paging.MAX_PER_PAGE + 50).items) == 5
        assert paging.page_count(0, 20) == 1 and paging.page_count(41, 20) == 3


def db_add_user(email: str) -> None:
    from directory.accounts.models import User
    from directory.db import db

    db.session.add(User(name="Someone", email=email, password_hash="x"))
    db.session.commit()


@pytest.mark.parametrize(
    ("page", "status"),
    [("1", 200), ("2", 404), ("0", 404), ("-1", 404), ("x", 404), ("1e3", 404), ("²", 404),
     (str(10**5 + 1), 404), ("9" * 30, 404)],
)  # fmt: skip
def test_a_bad_page_is_404_on_every_listing(app, client, auth, make_user, page, status):
    # One sign-in that may read every listing: a platform admin owning a practice.
    from directory.db import db

    with app.app_context():
        user = make_user(email="admin@example.com")
        user.is_admin = True
        slug = user.memberships[0].tenant.slug
        db.session.commit()
    auth.login("admin@example.com")
    listings = ["/admin/licenses", "/admin/specialties", "/admin/spam", "/admin/practices",
                "/admin/profiles", "/admin/audit", "/dashboard/inquiries",
                f"/dashboard/practices/{slug}/audit", f"/dashboard/practices/{slug}"]  # fmt: skip
    for url in listings:
        assert client.get(url, query_string={"page": page}).status_code == status, url


def test_lists_page_only_through_paging():
    # .offset() by hand is a second way to page. HSDS pages by its specification (a page past
    # the last is an empty page, and a short page spares the count), so it keeps its own.
    by_hand = {
        name
        for name, node in _nodes(ast.Call, outside=("paging.py",))
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("offset", "paginate")
    }
    assert by_hand == {"hsds/reads.py"}


# --- Refusals: a message a person reads goes through gettext ----------------------------------


#: The refusals a person reads; NotPermitted's message is for logs and tests only.
_SHOWN = ("Refused", "Conflict", "Throttled")


def _shown_refusals(modules: dict[str, ast.Module]) -> set[str]:
    """Refused, Conflict, Throttled and every class of the package that subclasses one of them
    (NotPermitted aside): their messages are flashed or rendered as they are."""
    shown, grown = set(_SHOWN), True
    classes = [
        node
        for tree in modules.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    ]
    while grown:
        grown = False
        for node in classes:
            bases = {getattr(b, "id", getattr(b, "attr", None)) for b in node.bases}
            if node.name not in shown and node.name != "NotPermitted" and bases & shown:
                shown.add(node.name)
                grown = True
    return shown


def _english(node) -> bool:
    """Whether `node` writes a message in the code's own words: a string literal, an f-string,
    a concatenation, a `%` or a `.format`/`.join` of one, either branch of a conditional."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _english(node.left) or _english(node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _english(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and _english(node.func.value)
    if isinstance(node, ast.IfExp):
        return _english(node.body) or _english(node.orelse)
    return False


def _untranslated_refusals(modules: dict[str, ast.Module]) -> list[str]:
    """module:line of every refusal a person reads that is raised with a message in English."""
    shown = _shown_refusals(modules)
    found = []
    for name, tree in modules.items():
        bound: dict[str, list] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        bound.setdefault(target.id, []).append(node.value)
        # A shown class's own constructor passing a message up says it too.
        inside = {
            id(call)
            for c in ast.walk(tree)
            if isinstance(c, ast.ClassDef) and c.name in shown
            for call in ast.walk(c)
            if isinstance(call, ast.Call) and ast.unparse(call.func) == "super().__init__"
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = getattr(node.func, "id", getattr(node.func, "attr", None))
            if id(node) in inside:
                called = "Refused"
            said = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "message")]
            if called not in shown or not said:
                continue
            message = said[0]
            if _english(message) or (
                isinstance(message, ast.Name) and any(map(_english, bound.get(message.id, ())))
            ):
                found.append(f"{name}:{node.lineno}")
    return found


def test_the_scan_finds_untranslated_refusals():
    tree = ast.parse(
        "raise Refused('No.')\nraise Conflict(f'{x} twice')\nraise Refused('A: ' + why)\n"
        "raise Throttled('wait %s' % n, retry_after=5)\nNO = 'No.'\nraise Refused(NO)\n"
        "raise Refused(_('No.'))\nraise Refused(problem)\nraise NotPermitted('not yours')\n"
        "raise Refused('x' if a else _('y'))\nraise Refused(message='{}'.format(n))\n"
        "class Busy(Throttled):\n    def __init__(self):\n        super().__init__('Busy.')\n"
    )
    found = _untranslated_refusals({"example.py": tree})
    assert found == [f"example.py:{n}" for n in (1, 2, 3, 4, 6, 10, 11, 14)]


def test_every_refusal_a_person_reads_goes_through_gettext():
    # A literal is shown as it is, in English, to a reader of the Spanish pages: write the
    # message with _()/_l() (a name bound to one is fine), its values as named placeholders.
    assert _untranslated_refusals(_modules()) == []


# --- Counts: locales.number -------------------------------------------------------------------

#: Placeholders that hold a count by their name, in templates ("done" of "total" fields, page
#: "page" of "pages", "first" to "last" of a list) and in Python (where "done" is a verb's text).
_COUNT_PLACEHOLDERS = {"num", "count", "total", "shown", "page", "pages", "first", "last",
                       "done", "spam", "archived", "has", "most"}  # fmt: skip
_PY_COUNT_KEYWORDS = {"num", "count", "total", "has", "most"}
#: Variables that hold a count by their name when a template prints them in text.
_COUNT_NAMES = {"n", "num", "count", "total"}
_TEMPLATES = PACKAGE.parent / "templates"
_PLACEHOLDER = re.compile(r"%\((\w+)\)")


def _template_env():
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    env.newstyle_gettext = True  # as Flask-Babel installs it: {% trans %} becomes a call
    env.policies["ext.i18n.trimmed"] = True
    return env


def _formatted(node) -> bool:
    return isinstance(node, jnodes.Filter) and node.name in ("number", "money")


def _numeric(node) -> bool:
    """Whether an expression is a number by its shape: a length, a sum, a difference..."""
    if isinstance(node, jnodes.Filter):
        return node.name in ("length", "count", "int", "round", "sum")
    if isinstance(node, jnodes.CondExpr):
        return _numeric(node.expr1) or _numeric(node.expr2)
    return isinstance(node, (jnodes.Add, jnodes.Sub, jnodes.Mul, jnodes.FloorDiv, jnodes.Div))


def _raw_template_counts(sources: dict[str, str]) -> list[str]:
    """template:line:placeholder for every count a translated sentence says without
    locales.number (the |number filter): ngettext's count as its %(num)s or as a
    {% trans %} block's variable, a placeholder named for a count, a placeholder given a
    length or a sum; and name:line:variable for a count variable (`n`, `total`...) or a
    length printed in text (an attribute's value is no sentence)."""
    env, found = _template_env(), []
    for name, source in sources.items():
        tree = env.parse(source)
        for call in tree.find_all(jnodes.Call):
            called = getattr(call.node, "name", None)
            if called not in ("_", "gettext", "ngettext"):
                continue
            texts = [a.value for a in call.args if isinstance(a, jnodes.Const)]
            values = {k.key: k.value for k in call.kwargs}
            count = call.args[2] if called == "ngettext" and len(call.args) > 2 else None
            if count is not None:
                values.setdefault("num", count)  # what ngettext fills %(num)s with
            for held in sorted({p for t in texts for p in _PLACEHOLDER.findall(str(t))}):
                value = values.get(held)
                if value is None or _formatted(value):
                    continue
                said_raw = count is not None and value == count
                if said_raw or held in _COUNT_PLACEHOLDERS or _numeric(value):
                    found.append(f"{name}:{call.lineno}:{held}")
        for output in tree.find_all(jnodes.Output):
            before = ""
            for node in output.nodes:
                if isinstance(node, jnodes.TemplateData):
                    before = node.data
                    continue
                in_attribute = re.search(r"=\s*[\"'][^\"'<>]*$", before) is not None
                shown = getattr(node, "name", None) in _COUNT_NAMES and isinstance(
                    node, jnodes.Name
                )
                if not in_attribute and (shown or _numeric(node)):
                    found.append(f"{name}:{node.lineno}:{getattr(node, 'name', '')}")
                before = ""
    return found


def _raw_python_counts(modules: dict[str, ast.Module]) -> list[str]:
    """module:line:name for every count a Python gettext call says without locales.number:
    an ngettext not locales.ngettext (Flask-Babel's says %(num)s raw, and takes no num= of
    ours), a num/count/total keyword or a len() not through number()."""
    found = []
    for name, tree in modules.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "flask_babel":
                found += [f"{name}:{node.lineno}:{a.name}" for a in node.names
                          if a.name in ("ngettext", "lazy_ngettext")]  # fmt: skip
            if not isinstance(node, ast.Call):
                continue
            called = getattr(node.func, "id", getattr(node.func, "attr", None))
            if called not in ("_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"):
                continue
            for keyword in node.keywords:
                value = keyword.value
                formatted = isinstance(value, ast.Call) and ast.unparse(value.func) in (
                    "number",
                    "locales.number",
                )
                counted = keyword.arg in _PY_COUNT_KEYWORDS or (
                    isinstance(value, ast.Call) and ast.unparse(value.func) == "len"
                )
                if counted and not formatted:
                    found.append(f"{name}:{node.lineno}:{keyword.arg}")
    return found


def test_the_scan_finds_counts_said_raw_in_templates():
    sources = {
        "a.html": '{{ ngettext("%(num)s event", "%(num)s events", total) }}\n'
        '{{ ngettext("%(num)s event", "%(num)s events", total, num=total|number) }}\n'
        "{% trans count=cities|length %}{{ count }} city{% pluralize %}{{ count }} cities"
        "{% endtrans %}\n"
        "{% trans n=c|length, count=c|length|number %}{{ count }} city{% pluralize n %}"
        "{{ count }} cities{% endtrans %}\n"
        '{{ _("Page %(page)s of %(pages)s", page=p, pages=ps|number) }}\n'
        '{{ _("%(x)s shown", x=rows|length) }} {{ _("in %(state)s", state=s.name) }}\n'
        '{{ ngettext("%(num)s of %(all)s", "%(num)s of %(all)s", n, num=n) }}\n'
        '<option>{{ name }} ({{ n }})</option><progress max="{{ total }}">{{ n|number }}\n'
        '{{ ngettext("the column %(c)s", "the columns %(c)s", k|length, c=cs) }}\n',
    }
    assert _raw_template_counts(sources) == [
        "a.html:1:num",
        "a.html:3:count",
        "a.html:5:page",
        "a.html:6:x",
        "a.html:7:num",
        "a.html:8:n",
    ]


def test_the_scan_finds_counts_said_raw_in_python():
    tree = ast.parse(
        "from flask_babel import gettext, ngettext\n"
        'ngettext("%(num)s row", "%(num)s rows", n)\n'
        '_("at most %(count)s", count=LIMIT)\n_("%(count)s", count=locales.number(LIMIT))\n'
        '_("the header\'s %(width)s", width=len(header))\n'
        'ngettext("the column %(c)s", "the columns %(c)s", len(cs), c=cs)\n'
        '_("%(done)s: %(names)s", done=verb, names=who)\n'
        "from directory.locales import ngettext\n"
    )
    assert _raw_python_counts({"example.py": tree}) == [
        "example.py:1:ngettext",
        "example.py:3:count",
        "example.py:5:width",
    ]


def test_every_count_a_person_reads_goes_through_locales_number():
    # "12345 therapists" reads "12,345" in English and in Spanish (es_US): a count in a sentence
    # goes through locales.number (|number in a template); ngettext still chooses the plural
    # by the raw count: ngettext(one, many, n, num=n|number) in a template, and in Python
    # locales.ngettext, which does both.
    sources = {
        str(path.relative_to(_TEMPLATES)): path.read_text()
        for path in sorted(_TEMPLATES.rglob("*.html")) + sorted(_TEMPLATES.rglob("*.txt"))
    }
    assert _raw_template_counts(sources) == []
    assert _raw_python_counts(_modules()) == []
