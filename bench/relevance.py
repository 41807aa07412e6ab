"""The relevance set's score: how well needs are read, and whether the right therapists come first.

    .venv/bin/python bench/relevance.py

Builds the labelled roster of tests/test_relevance.py (30 therapists around Hoboken, NJ, plus
decoys) in a temporary instance and reports, over the 52 roster cases and the labelled needs of
tests/relevance_set.py:

- interpretation accuracy: labelled needs read as one of their labelled entries;
- setting accuracy: needs labelled medical or spa read in that setting (roster cases included);
- top-3 fit: roster cases whose expected therapists are within their first k results (with
  nothing listed that must never be), and labelled needs near Hoboken whose first results (up
  to three) all list one of the labelled entries (a red flag: a see-a-doctor-first notice);
  needs nobody in the small roster lists are counted apart.

Nothing is asserted: numbers to stdout, misses listed so they can be looked at.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory import vocabulary  # noqa: E402
from directory.db import db  # noqa: E402
from directory.interpret import interpret  # noqa: E402
from tests.conftest import _prepare_database, add_practitioner, make_app  # noqa: E402
from tests.relevance_set import LABELLED  # noqa: E402
from tests.test_relevance import CASES, build_roster  # noqa: E402

SETTINGS_OF = {"M": "medical", "S": "spa"}


def _case_fits(client, case) -> bool:
    query = {"q": case.q} | ({"near": case.near} if case.near else {})
    results = client.get("/api/v1/search", query_string=query).json["results"]
    found = [r["slug"] for r in results]
    if case.excluded() & set(found):
        return False
    return not case.must_top or bool(set(found[: case.k]) & set(case.must_top))


def _need_fits(client, need: str, wanted: tuple[str, ...]) -> bool | None:
    """Whether the first results (up to three) all list one of the wanted entries; None when
    nobody near Hoboken is listed (the roster may have no one for it: counted apart)."""
    body = client.get("/api/v1/search", query_string={"q": need, "near": "Hoboken, NJ"}).json
    terms = vocabulary.terms()
    if any(terms[slug].kind == "red_flag" for slug in wanted):
        return any(a["level"] == "see_doctor_first" for a in body["advice"])
    names = {terms[slug].name for slug in wanted}
    top = body["results"][:3]
    if not top:
        return None
    return all(names & set(r["conditions"] + r["modalities"]) for r in top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="List every miss.")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        with app.app_context():
            _prepare_database()
            vocabulary.sync()
            db.session.commit()
            build_roster(add_practitioner)
            client = app.test_client()

            read, in_setting, settled, misses = 0, 0, 0, []
            for need, wanted, setting in LABELLED:
                found = interpret(need)
                named = {*found.conditions, *found.modalities, *found.red_flags}
                if named & set(wanted):
                    read += 1
                else:
                    misses.append(f"read    {need!r} as {sorted(named)}")
                if setting in SETTINGS_OF:
                    settled += 1
                    if found.setting == SETTINGS_OF[setting]:
                        in_setting += 1
                    else:
                        misses.append(f"setting {need!r} as {found.setting}")
            for case in CASES:
                if case.setting in SETTINGS_OF:
                    settled += 1
                    if interpret(case.q).setting == SETTINGS_OF[case.setting]:
                        in_setting += 1
                    else:
                        misses.append(f"setting {case.q!r} (case {case.id})")

            case_fit = sum(_case_fits(client, case) for case in CASES)
            need_fit, unlisted = 0, 0
            for need, wanted, _setting in LABELLED:
                fits = _need_fits(client, need, wanted)
                if fits is None:
                    unlisted += 1
                elif fits:
                    need_fit += 1
                else:
                    misses.append(f"top-3   {need!r}")
            db.session.remove()
            db.engine.dispose()

    total = len(LABELLED) + len(CASES)
    print(f"relevance set: {total} needs ({len(LABELLED)} labelled, {len(CASES)} roster cases)")
    print(f"interpretation accuracy: {read}/{len(LABELLED)} = {read / len(LABELLED):.1%}")
    print(f"setting accuracy:        {in_setting}/{settled} = {in_setting / settled:.1%}")
    print(f"top-3 fit, roster cases: {case_fit}/{len(CASES)} = {case_fit / len(CASES):.1%}")
    listed = len(LABELLED) - unlisted
    print(
        f"top-3 fit, labelled:     {need_fit}/{listed} = {need_fit / listed:.1%} "
        f"(first results all list the need; {unlisted} with nobody near in the roster)"
    )
    print(f"({time.perf_counter() - started:.1f} s)")
    if args.misses or len(misses) <= 20:
        for miss in misses:
            print("  miss:", miss)
    else:
        print(f"  {len(misses)} misses (--misses lists them)")


if __name__ == "__main__":
    main()
