"""Red flags and populations read from symptoms in everyday words, not only from their names.

"my calf is swollen and warm since the flight" names no blood clot, but it is one until a doctor
says otherwise. A sign rule (data/vocabulary.json, "signs" of a red flag or population) is a list
of groups of phrases; it fires when a phrase of every group appears within WINDOW words, none of
them denied ("no fever", "dont have a fever", but not "without warning my face droops" nor
"not sleeping, crushing chest pain") nor explained away by an "unless" phrase overlapping it
("tight chest muscles" is not chest pain; "chest pain ... my pecs are sore" still is). "#" in a
phrase stands for a number ("# weeks pregnant"). Over-reading is the safe error: a denial counts
only when it plainly applies.

Plain functions over the need's words (as vocabulary.normalize spells them): no Flask, no
database.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from directory import locales, vocabulary

#: The words of a rule's groups must all fall within this many words (a sentence or two).
WINDOW = 14
#: A phrase is denied by one of these words right before it, or with at most two of _BETWEEN
#: between them, in the same clause ("no fever", "dont have a fever", "not really numb").
#: "never" denies nothing here: "never had pain like this" is a warning, not a denial.
NEGATION_REACH = 3
NEGATORS = frozenset(
    ("no", "not", "without", "nor", "denies", "dont", "doesnt", "didnt", "isnt", "arent",
     "wasnt", "havent", "hasnt", *vocabulary.words().get("negators", ()))
)  # fmt: skip
_BETWEEN = frozenset(
    ("a", "an", "any", "have", "has", "had", "got", "feel", "feeling", "felt", "really", "much",
     "the", "signs", "sign", "of", "real", "noticed", "experienced", "experiencing", "get",
     *vocabulary.words().get("negation_between", ()))
)  # fmt: skip

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    groups: tuple[tuple[Phrase, ...], ...]
    unless: tuple[Phrase, ...] = ()
    #: Each group's phrases as a set: a need naming none of one group's is passed over at once
    #: (most needs, for most rules; English and Spanish rules are read for every need).
    sets: tuple[frozenset[Phrase], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "sets", tuple(frozenset(group) for group in self.groups))


def _phrase(text: str) -> Phrase:
    return tuple(w if w == "#" else vocabulary.normalize(w) for w in text.split() if w.strip())


def _rule(raw: dict) -> Rule:
    groups = tuple(tuple(_phrase(p) for p in group) for group in raw["all"])
    return Rule(groups, tuple(_phrase(p) for p in raw.get("unless", ())))


@cache
def _red_flag_rules() -> tuple[tuple[str, tuple[Rule, ...]], ...]:
    return tuple(
        (slug, tuple(_rule(raw) for raw in rules))
        for slug, rules in vocabulary.red_flag_signs().items()
        if rules
    )


@cache
def _population_rules() -> tuple[tuple[vocabulary.Population, tuple[Rule, ...]], ...]:
    return tuple(
        (population, tuple(_rule(raw) for raw in population.signs))
        for population in vocabulary.populations()
    )


def negated(words: Sequence[str], start: int, breaks: frozenset[int] = frozenset()) -> bool:
    """Whether the phrase starting at `start` is denied ("no fever", "not numb"). `breaks` are
    the positions that begin a clause (after a comma, a full stop...): a denial never reaches
    across one ("No. My calf is swollen")."""
    for back in range(1, NEGATION_REACH + 1):
        at = start - back
        if at < 0 or (at + 1) in breaks:
            return False
        if words[at] in NEGATORS:
            return True
        if words[at] not in _BETWEEN:
            return False
    return False


@cache
def _by_first_word() -> dict[str, tuple[Phrase, ...]]:
    """Every phrase of every rule, by its first word ("#" for a number): one pass over a need
    finds them all (a phrase at a time would cost milliseconds per search)."""
    phrases: set[Phrase] = set()
    rules = [r for _slug, rs in _red_flag_rules() for r in rs]
    rules += [r for _population, rs in _population_rules() for r in rs]
    for rule in rules:
        phrases.update(rule.unless)
        phrases.update(p for group in rule.groups for p in group)
    index: dict[str, list[Phrase]] = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    return {word: tuple(found) for word, found in index.items()}


class Found:
    """Where each rule phrase occurs in a need's words (spans of token positions)."""

    def __init__(
        self,
        words: Sequence[str],
        index: dict[str, tuple[Phrase, ...]] | None = None,
        breaks: frozenset[int] = frozenset(),
    ):
        self.words, self.breaks = words, breaks
        self.spans: dict[Phrase, list[tuple[int, int]]] = {}
        index = _by_first_word() if index is None else index
        for i, word in enumerate(words):
            starting = index.get(word, ())
            if word.isdigit():
                starting += index.get("#", ())
            for phrase in starting:
                n = len(phrase)
                if i + n <= len(words) and all(
                    _same(p, w) for p, w in zip(phrase, words[i : i + n], strict=True)
                ):
                    self.spans.setdefault(phrase, []).append((i, i + n))

    def of(self, phrase: Phrase) -> list[tuple[int, int]]:
        return self.spans.get(phrase, [])


def _same(pattern: str, word: str) -> bool:
    return pattern == word or (pattern == "#" and word.isdigit())


def fires(rule: Rule, words: Sequence[str] | Found) -> bool:
    """Whether the rule's groups all appear close together, none denied nor explained away by
    an "unless" phrase overlapping it."""
    found = words if isinstance(words, Found) else Found(words, _index_of(rule))
    if any(found.spans.keys().isdisjoint(group) for group in rule.sets):
        return False
    excuses = [span for phrase in rule.unless for span in found.of(phrase)]
    groups = []
    for group in rule.groups:
        spans = [
            span
            for phrase in group
            for span in found.of(phrase)
            if not negated(found.words, span[0], found.breaks)
            and not any(_touch(span, excuse) for excuse in excuses)
        ]
        if not spans:
            return False
        groups.append(spans)
    starts = sorted({start for spans in groups for start, _end in spans})
    return any(
        all(any(s >= first and e <= first + WINDOW for s, e in spans) for spans in groups)
        for first in starts
    )


def _touch(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two spans of words overlap or are next to each other."""
    return a[0] <= b[1] and b[0] <= a[1]


def _index_of(rule: Rule) -> dict[str, tuple[Phrase, ...]]:
    index: dict[str, list[Phrase]] = {}
    for phrase in {*rule.unless, *(p for group in rule.groups for p in group)}:
        index.setdefault(phrase[0], []).append(phrase)
    return {word: tuple(found) for word, found in index.items()}


def excused(slug: str, found: Found, start: int, end: int) -> bool:
    """Whether the words at [start, end) that name the red flag are explained away by one of
    its rules' "unless" phrases overlapping them ("tight chest" in "tight chest muscles")."""
    rules = dict(_red_flag_rules()).get(slug, ())
    phrases = {phrase for rule in rules for phrase in rule.unless}
    return any(_touch((start, end), span) for phrase in phrases for span in found.of(phrase))


def red_flags(words: Sequence[str] | Found) -> tuple[str, ...]:
    """The red flags whose signs the words describe, in the data file's order."""
    found = words if isinstance(words, Found) else Found(words)
    return tuple(
        slug for slug, rules in _red_flag_rules() if any(fires(rule, found) for rule in rules)
    )


def populations(
    words: Sequence[str] | Found, named: Sequence[str]
) -> tuple[vocabulary.Population, ...]:
    """The populations a need belongs to: named by one of their entries (`named`: the slugs
    the need was read as) or described by their signs; a population another one found covers
    is left out (lymphedema after cancer surgery: a CLT, not also an oncology therapist)."""
    occurrences = words if isinstance(words, Found) else Found(words)
    found = [
        population
        for population, rules in _population_rules()
        if set(population.terms) & set(named) or any(fires(r, occurrences) for r in rules)
    ]
    covered = {slug for p in found for slug in p.covers}
    return tuple(p for p in found if p.slug not in covered)


def advice(slugs: Sequence[str]) -> list[dict]:
    """The advice of red flags, as an answer carries it: only the emergencies when there is one
    (they say where to go now), else each flag's, most urgent first."""
    terms = vocabulary.terms()
    flags = [terms[slug] for slug in slugs]
    found = [
        {"condition": None, "level": t.level, "text": locales.translated(t.text)}
        for t in flags
        if t.text
    ]
    if any(a["level"] == "emergency" for a in found):
        return [a for a in found if a["level"] == "emergency"]
    return sorted(found, key=lambda a: vocabulary.ADVICE_LEVELS.index(a["level"]))
