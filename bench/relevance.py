"""The relevance set's score: how well needs are read, and whether the right therapists come first.

    .venv/bin/python bench/relevance.py

Builds the labelled roster of tests/test_relevance.py (30 therapists around Hoboken, NJ, plus
decoys) in a temporary instance and reports, for the tuning set (the labelled needs of
tests/relevance_set.py and the 53 roster cases), for the held-out set (HELD_OUT there) and for
the Spanish tuning and held-out sets (tests/relevance_set_es.py) separately:

- interpretation accuracy: labelled needs read as one of their labelled entries;
- setting accuracy: needs labelled medical or spa read in that setting;
- top-3 fit: roster cases whose expected therapists are within their first k results (with
  nothing listed that must never be), and labelled needs near Hoboken whose first results (up
  to three) all list one of the labelled entries (a red flag: nobody listed, and why);
  needs nobody in the small roster lists are counted apart.

`--english-only` reads the needs without the Spanish vocabulary: the English numbers before it,
to compare with a plain run (the Spanish words must not cost the English needs anything).

Nothing is asserted: numbers to stdout. The tuning set's misses are listed so they can be looked
at; the held-out set's are only counted unless asked for, so that tuning does not see them.
"""

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory import geo, vocabulary  # noqa: E402

#: --english-only: needs read without the Spanish vocabulary, i.e. the English score before it
#: (set before the interpreter is imported: it reads its word lists once).
ENGLISH_ONLY = "--english-only" in sys.argv
if ENGLISH_ONLY:
    _no_spanish = {"entries": {}, "broad_phrases": [], "red_flag_signs": {},
                   "population_signs": {}, "words": {}}  # fmt: skip
    vocabulary._spanish = lambda: _no_spanish

from directory.db import db  # noqa: E402
from directory.interpret import interpret  # noqa: E402
from tests import conftest  # noqa: E402
from tests.conftest import _prepare_database, add_practitioner, make_app  # noqa: E402
from tests.relevance_set import HELD_OUT, LABELLED  # noqa: E402
from tests.relevance_set_es import HELD_OUT_ES, LABELLED_ES  # noqa: E402
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
        # Right when nobody is listed and the answer says why (an emergency, or a doctor first).
        return body["withheld"] is not None and not body["results"]
    names = {terms[slug].name for slug in wanted}
    top = body["results"][:3]
    if not top:
        return None
    return all(names & set(r["conditions"] + r["modalities"]) for r in top)


@dataclass
class Score:
    """One set's numbers: needs read as labelled, settings read as labelled, first results."""

    name: str
    needs: int = 0
    read: int = 0
    settled: int = 0
    in_setting: int = 0
    listed: int = 0
    fit: int = 0
    misses: list[str] = field(default_factory=list)

    def report(self) -> None:
        def share(n: int, of: int) -> str:
            return f"{n}/{of} = {n / of:.1%}" if of else "-"

        print(f"{self.name}: {self.needs} labelled needs")
        print(f"  interpretation accuracy: {share(self.read, self.needs)}")
        print(f"  setting accuracy:        {share(self.in_setting, self.settled)}")
        print(
            f"  top-3 fit, labelled:     {share(self.fit, self.listed)} (first results all "
            f"list the need; {self.needs - self.listed} with nobody near in the roster)"
        )


def _score(client, name: str, needs) -> Score:
    score = Score(name, needs=len(needs))
    for need, wanted, setting in needs:
        found = interpret(need)
        named = {*found.conditions, *found.modalities, *found.red_flags}
        if named & set(wanted):
            score.read += 1
        else:
            score.misses.append(f"read    {need!r} as {sorted(named)}")
        if setting in SETTINGS_OF:
            score.settled += 1
            if found.setting == SETTINGS_OF[setting]:
                score.in_setting += 1
            else:
                score.misses.append(f"setting {need!r} as {found.setting}")
        fits = _need_fits(client, need, wanted)
        if fits is not None:
            score.listed += 1
            score.fit += fits
            if not fits:
                score.misses.append(f"top-3   {need!r}")
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="List every miss of the tuning set.")
    parser.add_argument(
        "--held-out-misses",
        action="store_true",
        help="Also list the held-out set's misses (spoils it for tuning: see relevance_set.py).",
    )
    parser.add_argument(
        "--english-only",
        action="store_true",
        help="Read needs without the Spanish vocabulary (the English numbers before it).",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        # The place tables and templates are built once into a cache folder, as the suite's.
        conftest._CACHE_FOLDER.append(str(Path(tmp) / "cache"))
        geo.use_cache(conftest._CACHE_FOLDER[0])
        app = make_app(Path(tmp))
        with app.app_context():
            _prepare_database()
            vocabulary.sync()
            db.session.commit()
            build_roster(add_practitioner)
            client = app.test_client()

            tuning = _score(client, "tuning set", LABELLED)
            held_out = _score(client, "held-out set", HELD_OUT)
            spanish = _score(client, "Spanish tuning set", LABELLED_ES)
            spanish_held_out = _score(client, "Spanish held-out set", HELD_OUT_ES)
            case_settled = case_in_setting = 0
            for case in CASES:
                if case.setting in SETTINGS_OF:
                    case_settled += 1
                    if interpret(case.q).setting == SETTINGS_OF[case.setting]:
                        case_in_setting += 1
                    else:
                        tuning.misses.append(f"setting {case.q!r} (case {case.id})")
            case_fit = 0
            for case in CASES:
                if _case_fits(client, case):
                    case_fit += 1
                else:
                    tuning.misses.append(f"top-3   {case.q!r} (case {case.id})")
            db.session.remove()
            db.engine.dispose()

    total = len(LABELLED) + len(HELD_OUT)
    vocabulary_read = (
        "English vocabulary only" if ENGLISH_ONLY else "English and Spanish vocabulary"
    )
    print(
        f"relevance set ({vocabulary_read}): {total} labelled needs in English "
        f"({len(LABELLED)} tuning, {len(HELD_OUT)} held out), {len(LABELLED_ES)} + "
        f"{len(HELD_OUT_ES)} in Spanish, and {len(CASES)} roster cases"
    )
    tuning.report()
    print(f"  roster cases, setting:   {case_in_setting}/{case_settled}")
    print(f"  roster cases, top-k fit: {case_fit}/{len(CASES)} = {case_fit / len(CASES):.1%}")
    held_out.report()
    spanish.report()
    spanish_held_out.report()
    print(f"({time.perf_counter() - started:.1f} s)")
    tuning.misses += spanish.misses
    held_out.misses += spanish_held_out.misses
    if args.misses or len(tuning.misses) <= 20:
        for miss in tuning.misses:
            print("  tuning miss:", miss)
    else:
        print(f"  {len(tuning.misses)} tuning misses (--misses lists them)")
    if args.held_out_misses:
        for miss in held_out.misses:
            print("  held-out miss:", miss)
    else:
        print(f"  {len(held_out.misses)} held-out misses, not listed (--held-out-misses)")


if __name__ == "__main__":
    main()
