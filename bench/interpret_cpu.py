"""CPU per need read: `interpret()` over the labelled needs, English and Spanish, as a search
request runs it. Numbers to stdout; nothing is asserted.

    .venv/bin/python bench/interpret_cpu.py [--rounds 5] [--english-only]

Two numbers per set, in CPU microseconds per need (`time.process_time`, best of the rounds):
"fresh", with the typo lookups' cache cleared before every need (a need whose words no earlier
request had: the costly case), and "repeated" (every word seen before). `--english-only` reads
without the Spanish vocabulary (what it cost before the Spanish words), for an A/B in two runs.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory import vocabulary  # noqa: E402

ENGLISH_ONLY = "--english-only" in sys.argv
if ENGLISH_ONLY:  # before the interpreter reads its word lists
    _no_spanish = {"entries": {}, "broad_phrases": [], "red_flag_signs": {},
                   "population_signs": {}, "words": {}}  # fmt: skip
    vocabulary._spanish = lambda: _no_spanish

from directory import interpret as interpret_module  # noqa: E402
from tests.relevance_set import HELD_OUT, LABELLED  # noqa: E402
from tests.relevance_set_es import HELD_OUT_ES, LABELLED_ES  # noqa: E402


def _per_need(needs: list[str], rounds: int, fresh: bool) -> float:
    best = float("inf")
    for _ in range(rounds):
        spent = 0.0
        for need in needs:
            if fresh:
                interpret_module._closest_candidate.cache_clear()
            started = time.process_time()
            interpret_module.interpret(need)
            spent += time.process_time() - started
        best = min(best, spent)
    return best / len(needs) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--english-only", action="store_true", help="Without the Spanish words.")
    args = parser.parse_args()
    started = time.process_time()
    interpret_module.interpret("warm up the vocabulary index")
    print(f"vocabulary loaded and indexed: {(time.process_time() - started) * 1e3:.0f} ms CPU")
    print("English only" if ENGLISH_ONLY else "English and Spanish vocabulary")
    sets = {
        "English needs": [n for n, *_ in (*LABELLED, *HELD_OUT)],
        "Spanish needs": [n for n, *_ in (*LABELLED_ES, *HELD_OUT_ES)],
    }
    for name, needs in sets.items():
        fresh = _per_need(needs, args.rounds, fresh=True)
        repeated = _per_need(needs, args.rounds, fresh=False)
        print(f"{name} ({len(needs)}): fresh {fresh:.0f} us, repeated {repeated:.0f} us per need")


if __name__ == "__main__":
    main()
