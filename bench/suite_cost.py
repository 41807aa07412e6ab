"""Where the test suite's time goes, per module and phase, in CPU seconds of the pytest process
(wall seconds beside them): a pytest plugin, for a box too busy for wall times to mean much.

    .venv/bin/pytest -p no:cacheprovider -p bench.suite_cost tests/
    SUITE_COST_JSON=/tmp/cost.json .venv/bin/pytest -p bench.suite_cost tests/test_demo.py

prints the 25 costliest modules (setup = fixtures: apps and worlds; a module-scoped world is
counted in its first test's setup) and, with SUITE_COST_JSON, writes every test's phases.
Children (gunicorn, Chromium, `flask` subprocesses) and the PostgreSQL server are not counted.
"""

import json
import os
import time
from collections import defaultdict

import pytest

_rows: list[tuple[str, str, float, float]] = []


def _timed(phase: str):
    @pytest.hookimpl(hookwrapper=True)
    def hook(item):
        cpu, wall = time.process_time(), time.perf_counter()
        yield
        _rows.append((item.nodeid, phase, time.process_time() - cpu, time.perf_counter() - wall))

    return hook


pytest_runtest_setup = _timed("setup")
pytest_runtest_call = _timed("call")
pytest_runtest_teardown = _timed("teardown")


def pytest_terminal_summary(terminalreporter):
    modules: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    tests: dict[str, set[str]] = defaultdict(set)
    for nodeid, phase, cpu, wall in _rows:
        module = nodeid.split("::")[0]
        modules[module][phase] += cpu
        modules[module]["wall"] += wall
        tests[module].add(nodeid)
    total = sum(m["setup"] + m["call"] + m["teardown"] for m in modules.values())
    write = terminalreporter.write_line
    write(f"--- suite cost: {total:.1f} CPU s in tests ({time.process_time():.1f} s in all) ---")
    write(f"{'module':<36} {'tests':>5} {'cpu':>7} {'setup':>7} {'call':>7} {'wall':>7}")
    ranked = sorted(modules.items(), key=lambda kv: -(kv[1]["setup"] + kv[1]["call"]))
    for module, m in ranked[:25]:
        cpu = m["setup"] + m["call"] + m["teardown"]
        write(
            f"{module.removeprefix('tests/'):<36} {len(tests[module]):>5} {cpu:>7.1f}"
            f" {m['setup']:>7.1f} {m['call']:>7.1f} {m['wall']:>7.1f}"
        )
    if path := os.environ.get("SUITE_COST_JSON"):
        with open(path, "w") as out:
            json.dump(_rows, out)
