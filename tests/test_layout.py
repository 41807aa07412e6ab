"""How the code is laid out (README, "How the code is laid out"): imports point one way (web ->
operations and models -> domain rules -> db), so every module imports alone, in any order."""

import ast
import functools
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import directory

ROOT = Path(directory.__file__).resolve().parent.parent

#: Domain rules: plain code about the directory's subject (places, vocabulary, licensing, need
#: interpretation...). They know no HTTP, no models of other packages and no search: they may
#: import only the standard library, third-party libraries that are not web frameworks,
#: `directory.db` and each other.
DOMAIN = {
    "directory.csvfile", "directory.geo", "directory.interpret", "directory.languages",
    "directory.licensing", "directory.locales", "directory.signs", "directory.specialties",
    "directory.validation", "directory.vocabulary",
}  # fmt: skip
#: What a domain rule may import from this package besides its peers.
DOMAIN_MAY_IMPORT = {"directory.db"}
WEB_FRAMEWORKS = {"flask", "flask_login", "flask_migrate", "flask_sqlalchemy", "flask_wtf",
                  "werkzeug", "wtforms", "jinja2"}  # fmt: skip
#: Packages that are web through and through: pages and their helpers, the JSON API.
WEB_PACKAGES = ("directory.public", "directory.api")


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (pkgutil's walk), with its source file."""
    found = {"directory": ROOT / "directory" / "__init__.py"}
    for info in pkgutil.walk_packages(directory.__path__, "directory."):
        spec = info.module_finder.find_spec(info.name, None)
        found[info.name] = Path(spec.origin)
    return found


MODULES = _modules()


@functools.cache
def _imports(name: str) -> frozenset[str]:
    """The modules of this package that `name` imports, anywhere in its source (inside
    functions too), resolved to modules: `from directory import geo` is directory.geo."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in MODULES and target.startswith("directory"):
                target = target.rpartition(".")[0]
            if target in MODULES:
                found.add(target)
    return frozenset(found)


@functools.cache
def _third_party(name: str) -> frozenset[str]:
    """The top-level names of everything outside this package that `name` imports."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.partition(".")[0])
    return frozenset(found - {"directory", "__future__"})


@functools.cache
def _is_web(name: str) -> bool:
    """A module that serves HTTP: directory.web, one that makes a blueprint, or one of the
    web packages."""
    if name == "directory.web" or name.startswith(tuple(f"{p}." for p in WEB_PACKAGES)):
        return True
    tree = ast.parse(MODULES[name].read_text())
    return any(
        isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Blueprint"
        for node in ast.walk(tree)
    )


def test_the_walk_finds_the_modules_the_rules_name():
    assert len(MODULES) > 80
    assert set(MODULES) >= DOMAIN
    assert set(MODULES) >= {"directory.web", "directory.public.views", "directory.accounts.views"}
    assert _is_web("directory.accounts.views") and not _is_web("directory.accounts.operations")


def test_domain_rules_import_no_web_no_models_of_others_and_no_search():
    wrong = {}
    for name in sorted(DOMAIN):
        bad = sorted(_imports(name) - DOMAIN - DOMAIN_MAY_IMPORT - {"directory", name})
        bad += sorted(_third_party(name) & WEB_FRAMEWORKS)
        if bad:
            wrong[name] = bad
    assert wrong == {}


def test_only_web_modules_import_web_modules():
    """Packages do not import their views; create_app (the package root) registers them."""
    wrong = {}
    for name in sorted(MODULES):
        if name == "directory" or _is_web(name):
            continue
        if bad := sorted(m for m in _imports(name) if _is_web(m)):
            wrong[name] = bad
    assert wrong == {}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_itself_round_a_cycle():
    """Counting imports inside functions too: a cycle deferred to call time is still one. Not
    counted: a module's own parent packages (loaded before it), and the package root, whose
    create_app imports everything and whose module level imports nothing of ours."""
    graph = {}
    for name in MODULES:
        parents = {name.rsplit(".", n)[0] for n in range(1, name.count(".") + 1)}
        needs = set()
        for target in _imports(name) - parents - {name}:
            # Importing a.b.c runs a/__init__ and a/b/__init__ first.
            needs |= {target.rsplit(".", n)[0] for n in range(target.count("."))} - parents
        graph[name] = needs - {"directory", name}
    assert _cycles(graph) == []


#: Run in a fresh interpreter: import the third-party libraries given (what any module would
#: import anyway; preloaded once, so each check costs only our own modules), then for each of
#: our modules fork a child that imports it alone, none of ours loaded before it.
_IMPORT_EACH = r"""
import importlib, os, sys, traceback
third_party, ours = sys.argv[1].split(","), sys.argv[2].split(",")
assert not [m for m in sys.modules if m.split(".")[0] == "directory"]
for lib in third_party:
    try:
        importlib.import_module(lib)
    except ImportError:
        pass  # an optional import: the child meets it as the module would
def start(name):
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            sys.stderr.write(f"--- import {name}\n{traceback.format_exc()}")
            sys.stderr.flush()
            os._exit(1)
        os._exit(0)
    running[pid] = name
def reap():
    pid, status = os.wait()
    name = running.pop(pid)
    if status:
        failed.append(name)
running, failed = {}, []
for name in ours:
    if len(running) >= (os.cpu_count() or 1):  # a child per core at a time
        reap()
    start(name)
while running:
    reap()
print(len(ours), "imported alone;", "failed:", " ".join(sorted(failed)) or "none")
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_alone_in_a_fresh_interpreter():
    ours = sorted(MODULES)
    third_party = sorted(set().union(*map(_third_party, ours)))
    run = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, ",".join(third_party), ",".join(ours)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr[-6000:]
    assert run.stdout.strip() == f"{len(ours)} imported alone; failed: none"


#: What a pager written by hand leaves in a template: the pager's own class, a prev/next link,
#: or a link to the page next to this one.
HAND_WRITTEN_PAGER = re.compile(
    r'class="pagination"|rel="(?:prev|next)"|page=\s*[\w.]*(?:page|number)\s*[-+]\s*1\b'
)


def test_every_listing_pages_with_the_one_pager_macro():
    """A paged listing shows templates/_pager.html's pager (rel prev/next, "Page X of Y"
    translated, ?page=1 left out, the other query parameters kept): none of its own."""
    pager = ROOT / "templates" / "_pager.html"
    assert HAND_WRITTEN_PAGER.search(pager.read_text())  # the rule sees a pager where there is one
    own = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if path != pager
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if HAND_WRITTEN_PAGER.search(line)
    ]
    assert not own, "pagers written by hand (use pager() from _pager.html): " + ", ".join(own)
