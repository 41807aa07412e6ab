"""Where the test suite's time goes, per module and phase, in CPU seconds of the pytest process
(wall seconds beside them): a pytest plugin, for a box too busy for wall times to mean much.

    .venv/bin/pytest -p no:cacheprovider -p bench.suite_cost tests/
    SUITE_COST_JSON=/tmp/cost.json .venv/bin/pytest -p bench.suite_cost tests/test_demo.py

prints the 25 costliest modules (setup = fixtures: apps and worlds; a module-scoped world is
counted in its first test's setup) and, with SUITE_COST_JSON, writes every test's phases.
The "tree" column adds the CPU of the process's descendants (gunicorn, Chromium and its
Playwright driver, `flask` and import subprocesses), read from /proc; the PostgreSQL server is
not counted.
"""

import json
import os
import threading
import time
from collections import defaultdict

import pytest

_rows: list[tuple[str, str, float, float, float]] = []
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class _Tree:
    """CPU seconds of this process and its descendants, summed as /proc shows them grow.

    A thread reads /proc every 0.25 s (a few % of a CPU, counted in "cpu"): each process's own
    CPU adds what it grew by; a parent's count of its reaped children (cutime) adds what it
    grew by, less what was already counted of the children that went away since (Chromium's
    renderers come and go within a test).
    Without /proc, this process and the children it waited for."""

    def __init__(self) -> None:
        self.total = 0.0
        self._seen: dict[int, tuple[int, float, float]] = {}  # pid: (ppid, own, reaped)
        self._lock = threading.Lock()
        if os.path.isdir("/proc"):
            threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            self.read()
            time.sleep(0.25)

    def read(self) -> float:
        if not os.path.isdir("/proc"):
            t = os.times()
            return t.user + t.system + t.children_user + t.children_system
        with self._lock:
            now = self._processes()
            for pid, (ppid, own, reaped) in now.items():
                _, own0, reaped0 = self._seen.get(pid, (ppid, 0.0, 0.0))
                gone = sum(
                    o + r for p, (pp, o, r) in self._seen.items() if pp == pid and p not in now
                )
                self.total += own - own0 + max(0.0, reaped - reaped0 - gone)
            self._seen = now
            return self.total

    @staticmethod
    def _processes() -> dict[int, tuple[int, float, float]]:
        parents: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue  # gone meanwhile
            # After the name: state ppid ... utime stime cutime cstime (12th to 15th).
            own = (int(fields[11]) + int(fields[12])) / _TICK
            reaped = (int(fields[13]) + int(fields[14])) / _TICK
            parents[int(fields[1])].append((int(entry), own, reaped))
        found, stack = {}, [os.getpid()]
        me = next((r for rows in parents.values() for r in rows if r[0] == stack[0]), None)
        if me:
            found[me[0]] = (os.getppid(), me[1], me[2])
        while stack:
            ppid = stack.pop()
            for pid, own, reaped in parents.get(ppid, ()):
                found[pid] = (ppid, own, reaped)
                stack.append(pid)
        return found


_tree = _Tree()


def _tree_cpu() -> float:
    return _tree.read()


def _timed(phase: str):
    @pytest.hookimpl(hookwrapper=True)
    def hook(item):
        tree, cpu, wall = _tree_cpu(), time.process_time(), time.perf_counter()
        yield
        _rows.append(
            (
                item.nodeid, phase, time.process_time() - cpu, time.perf_counter() - wall,
                _tree_cpu() - tree,
            )
        )  # fmt: skip

    return hook


pytest_runtest_setup = _timed("setup")
pytest_runtest_call = _timed("call")
pytest_runtest_teardown = _timed("teardown")


def pytest_terminal_summary(terminalreporter):
    modules: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    tests: dict[str, set[str]] = defaultdict(set)
    for nodeid, phase, cpu, wall, tree in _rows:
        module = nodeid.split("::")[0]
        modules[module][phase] += cpu
        modules[module]["wall"] += wall
        modules[module]["tree"] += tree
        tests[module].add(nodeid)
    total = sum(m["setup"] + m["call"] + m["teardown"] for m in modules.values())
    write = terminalreporter.write_line
    write(f"--- suite cost: {total:.1f} CPU s in tests ({time.process_time():.1f} s in all) ---")
    write(
        f"{'module':<36} {'tests':>5} {'cpu':>7} {'setup':>7} {'call':>7} {'tree':>7} {'wall':>7}"
    )
    ranked = sorted(modules.items(), key=lambda kv: -(kv[1]["setup"] + kv[1]["call"]))
    for module, m in ranked[:25]:
        cpu = m["setup"] + m["call"] + m["teardown"]
        write(
            f"{module.removeprefix('tests/'):<36} {len(tests[module]):>5} {cpu:>7.1f}"
            f" {m['setup']:>7.1f} {m['call']:>7.1f} {m['tree']:>7.1f} {m['wall']:>7.1f}"
        )
    if path := os.environ.get("SUITE_COST_JSON"):
        with open(path, "w") as out:
            json.dump(_rows, out)
