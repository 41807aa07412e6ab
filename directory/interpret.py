"""Need interpretation: what a client types -> vocabulary conditions, modalities and setting.

"shooting pain down the back of my leg" -> sciatica, medical; "relaxing gift massage for my
wife" -> relaxation, spa; "sciatia near Hoboken" -> sciatica, did you mean "sciatica near Hoboken".

How a need is read, in order:

1. Words are those of `vocabulary.normalize`; each keeps its span in the typed text, so capitals,
   places and suggestions can refer back to what the client typed.
2. Exact phrases: every n-gram (up to 20 words) that is a name, slug, synonym, lay term, listed
   misspelling, ICD-10-CM code (with or without its dot, or a parent code standing for the
   conditions under it) or description of a vocabulary entry, or a broad phrase standing
   for several entries ("back pain": lower and upper back pain); the longest phrases win, then
   the leftmost. Short abbreviations that are written in capitals in the vocabulary ("RA",
   "MS", "ART", "MET") only match when typed in capitals or when they are the whole query.
3. A trailing "near X" / "in X" / "around X" whose words no phrase used is the place.
   A body part said to hurt or be tight, a few link words apart ("my neck is killing me",
   "calves are so tight"), names the entries that complaint stands for (words.body_parts).
4. Typos: each remaining unknown word (and each adjacent pair with an unknown word) is compared
   with the names and synonyms by Damerau-Levenshtein distance (optimal string alignment): at
   most 1 edit for 5-7 letters, 2 for 8 or more. A different first letter is only a slip of it
   (dropped, added, or sounding alike: "ciatica", "kupping"), and costs one of those edits. A
   known word (one the vocabulary uses, a stopword, a cue word or a common word listed below)
   is never a typo, so "shoulder", "gentle" or "relay" stay as they are. A matched phrase also
   absorbs a misspelt neighbour that completes a longer name ("craniosacral therpy").
5. Setting, from the matched entries and the cue words no phrase used: a medical condition or a
   pain/injury word means medical, even next to spa words ("relaxing massage for my back pain");
   a medical modality or a clinical word (doctor, referral...) means medical unless spa words
   contradict it, then there is no clear intent; spa entries or spa words otherwise mean spa.
   Entries whose setting is "either" (tension headache, deep tissue) decide nothing alone.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz.distance import OSA

from directory import licensing, signs, vocabulary
from directory.vocabulary import Term

#: The longest need read, in characters: a longer one is refused (search/params.py), never cut.
MAX_NEED_LENGTH = 500
#: The longest phrase looked for: ICD-10-CM descriptions run to 18 words.
_MAX_PHRASE_WORDS = 20
_MAX_PLACE_WORDS = 4


# The word lists live in the vocabulary data file ("words"), next to the terms they serve.
_WORDS = vocabulary.words()
_STOPWORDS = frozenset(_WORDS["stopwords"])

# Cue words are read only where no phrase used them: the entries a phrase names carry their
# own setting ("neck pain" is an "either" condition, "lower back pain" a medical one).
_PAIN_CUES = frozenset(_WORDS["pain_cues"])
_CLINICAL_CUES = frozenset(_WORDS["clinical_cues"])
_SPA_CUES = frozenset(_WORDS["spa_cues"])
_CUE_PAIRS = {tuple(pair.split()): kind for pair, kind in _WORDS["cue_pairs"]}

#: Everyday words one edit away from a vocabulary word: never read as a typo of it.
_COMMON_WORDS = frozenset(_WORDS["common_words"])

#: Abbreviations that are also everyday words need capitals even inside a longer phrase
#: ("ART therapy" is Active Release, "art therapy" is drawing).
_WORDLIKE_ABBREVIATIONS = frozenset(_WORDS["wordlike_abbreviations"])
#: Abbreviations nobody types by accident match in any case.
_ANY_CASE_ABBREVIATIONS = frozenset(_WORDS["any_case_abbreviations"])

_EVERYDAY_ENDINGS = tuple(_WORDS["everyday_endings"])
#: A body part that hurts or is tight ("my neck is killing me", "tight calves"): the entries
#: each kind of complaint about it stands for, the words saying it, and the few words that may
#: come between ("calves are always so tight").
_BODY_PARTS = {tuple(part.split()): kinds for part, kinds in _WORDS["body_parts"].items()}
_BODY_WORDS = {
    **{tuple(w.split()): "pain" for w in _WORDS["body_pain_words"]},
    **{tuple(w.split()): "tight" for w in _WORDS["body_tight_words"]},
}
_BODY_LINKS = frozenset(_WORDS["body_link_words"])
_MAX_BODY_LINKS = 3

#: First letters that sound alike, as pairs both ways ("cs", "sc"): a slip of the first letter.
_SOUND_ALIKE = frozenset(p + q for group in _WORDS["sound_alike_first_letters"] for p in group
                         for q in group if p != q)  # fmt: skip

#: Words that put a place after them ("near Hoboken", "cerca de Hoboken"), by their words.
_PLACE_PREPOSITIONS = frozenset(
    {("near",), ("in",), ("around",)}
    | {tuple(p.split()) for p in _WORDS.get("place_prepositions", ())}
)
_LONGEST_PREPOSITION = max(len(p) for p in _PLACE_PREPOSITIONS)
# "in my lower back", "in the morning", "in hands", "near me" are not places.
_NOT_PLACE_FIRST = frozenset(_WORDS["not_place_first"])
_NOT_PLACE_WORDS = frozenset(_WORDS["not_place_words"])
#: The jurisdictions whose licenses we know (data/states.json): one list of states.
_US_STATES = frozenset(licensing.states())
_TRAILING_STATE = re.compile(r",\s*([A-Za-z]{2})\W*\Z")

#: First words of display names that stay capitalised mid-sentence.
_PROPER_WORDS = frozenset(_WORDS["proper_words"])

_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


@dataclass(frozen=True)
class Interpretation:
    """What a need means in vocabulary terms; all fields empty when nothing was understood."""

    conditions: tuple[str, ...] = ()
    modalities: tuple[str, ...] = ()
    setting: str | None = None
    suggestion: str | None = None
    terms: tuple[str, ...] = ()
    place: str | None = None
    #: Signs that need a doctor before any massage ("blood clot in my leg"): vocabulary
    #: red flags, never searched for.
    red_flags: tuple[str, ...] = ()
    #: The conditions each broad phrase stood for ("back pain": lower, upper back pain), for
    #: offering one of them alone.
    choices: tuple[tuple[str, ...], ...] = ()
    #: Clients who need a specialist (vocabulary populations: "pregnancy", "lymphedema"...)
    #: and the specialty kinds they need, verified ("prenatal", "clt"...).
    populations: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()

    def describe(self, names: Callable[[str], str] | None = None) -> str:
        """One line for people ("Medical massage for sciatica"); "" when nothing was understood.

        `names` gives a slug's display name; names are lowercased to read mid-sentence.
        """
        if not (self.conditions or self.modalities or self.setting):
            return ""
        name = names or _name
        text = {"medical": "Medical massage", "spa": "Spa massage"}.get(self.setting, "Massage")
        if self.conditions:
            text += " for " + _join(mid_sentence(name(slug)) for slug in self.conditions)
        if self.modalities:
            text += ": " + _join(mid_sentence(name(slug)) for slug in self.modalities)
        return text


def interpret(text: str) -> Interpretation:
    """Read a client's free-text need (never raises; input beyond MAX_NEED_LENGTH is dropped)."""
    if not isinstance(text, str):
        return Interpretation()
    text = _truncate(text)
    tokens = _tokens(text)
    if not tokens:
        return Interpretation()
    words = [t.word for t in tokens]
    protected = _trailing_state(text, tokens)
    matches = _exact_matches(text, tokens, protected)
    used = _used(matches, len(tokens))
    place_from = _place_start(text, tokens, used, protected)
    free = [not used[i] and i < place_from and i not in protected for i in range(len(tokens))]
    matches += _body_matches(words, free)
    matches += _typo_matches(words, free)
    _extend(matches, words, free)
    matches.sort(key=lambda m: m.start)
    # "no fever" names no fever; symptoms in everyday words name red flags too.
    breaks = _clause_starts(text, tokens)
    found = signs.Found(words, breaks=breaks)
    red_flags = _slugs(
        m.term
        for m in matches
        if m.term.kind == "red_flag"
        and not signs.negated(words, m.start, breaks)
        and not signs.excused(m.term.slug, found, m.start, m.end)
    )
    red_flags += tuple(slug for slug in signs.red_flags(found) if slug not in red_flags)
    populations = signs.populations(found, [m.term.slug for m in matches])

    cues, cue_positions = _cues(words, free)
    content = []
    for i, word in enumerate(words):
        wanted = free[i] and i not in cue_positions and word not in _STOPWORDS
        if wanted and len(word) > 1 and not word.isdigit() and word not in content:
            content.append(word)

    return Interpretation(
        conditions=_slugs(m.term for m in matches if m.term.kind == "condition"),
        modalities=_slugs(m.term for m in matches if m.term.kind == "modality"),
        setting=_setting([m.term for m in matches], cues),
        suggestion=_suggestion(text, tokens, matches),
        terms=tuple(content),
        place=_place(text, tokens, place_from),
        red_flags=red_flags,
        choices=_choices(matches),
        populations=tuple(p.slug for p in populations),
        specialties=tuple(dict.fromkeys(p.specialty for p in populations)),
    )


#: How much of a need over the limit is still read for red flags (a story that ends "...and
#: now my calf is swollen and warm" must not lose its warning with its answer).
_MAX_SAFETY_READ = 8 * MAX_NEED_LENGTH


def red_flags_in(text: str) -> tuple[str, ...]:
    """The red flags named anywhere in a text of any length (read in overlapping windows of
    the need's length, up to _MAX_SAFETY_READ characters)."""
    text = text[:_MAX_SAFETY_READ] if isinstance(text, str) else ""
    step = MAX_NEED_LENGTH - 100  # a phrase cut at one window's end is whole in the next
    found: dict[str, None] = {}
    for start in range(0, max(len(text), 1), step):
        window = text[start : start + MAX_NEED_LENGTH]
        found.update(dict.fromkeys(interpret(window).red_flags))
        if start + MAX_NEED_LENGTH >= len(text):
            break
    return tuple(found)


# -- words ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    word: str  # as vocabulary.normalize spells it
    start: int  # span in the typed text
    end: int


def _truncate(text: str) -> str:
    if len(text) <= MAX_NEED_LENGTH:
        return text
    head = text[: MAX_NEED_LENGTH + 1]
    cut = max((i for i, ch in enumerate(head) if ch.isspace()), default=0)
    return text[:cut] if cut > 0 else text[:MAX_NEED_LENGTH]


def _fold(ch: str) -> str:
    """One character as vocabulary.normalize sees it: "" vanishes, anything else is kept."""
    if ch < "\x80":
        return "" if ch in "'`" else ch.lower()
    folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
    return folded.lower().replace("'", "").replace("`", "")


def _tokens(text: str) -> list[_Token]:
    """The words of vocabulary.normalize(text), each with its span in `text`."""
    tokens: list[_Token] = []
    word: list[str] = []
    start = end = 0
    for i, ch in enumerate(text):
        for out in _fold(ch):
            if out in _ASCII_WORD:
                if not word:
                    start = i
                word.append(out)
                end = i + 1
            elif word:
                tokens.append(_Token("".join(word), start, end))
                word = []
    if word:
        tokens.append(_Token("".join(word), start, end))
    return tokens


_CLAUSE_MARKS = frozenset(".,;:!?()\n")


def _clause_starts(text: str, tokens: list[_Token]) -> frozenset[int]:
    """Positions of the tokens that begin a clause: punctuation stands between them and the
    token before ("not sleeping, crushing chest pain")."""
    return frozenset(
        i
        for i in range(1, len(tokens))
        if _CLAUSE_MARKS.intersection(text[tokens[i - 1].end : tokens[i].start])
    )


def _trailing_state(text: str, tokens: list[_Token]) -> set[int]:
    """The final token when the text ends like "Jackson, MS": a state, not multiple sclerosis."""
    found = _TRAILING_STATE.search(text)
    if not found or found.group(1).upper() not in _US_STATES:
        return set()
    before = tokens[-_MAX_PLACE_WORDS - 2 : -1]
    words = [t.word for t in before]
    named = any(_preposition_at(words, i) for i in range(len(words)))
    return {len(tokens) - 1} if named else set()


# -- the vocabulary, indexed once -------------------------------------------------------------


@dataclass(frozen=True)
class _Phrase:
    term: Term
    words: tuple[str, ...]
    #: Word positions that must be typed in capitals (short abbreviations).
    capitals: tuple[int, ...] = ()
    #: For a listed misspelling: how the vocabulary spells it.
    misspelling: str | None = None
    #: Which of the entry's wordings lists the misspelling (0 English, 1 Spanish).
    language: int = 0
    #: A broad phrase ("back pain") names these entries too.
    others: tuple[Term, ...] = ()


@cache  # only ever called with the vocabulary's own phrases
def _phrase_words(phrase: str) -> tuple[str, ...]:
    return tuple(t.word for t in _tokens(phrase))


def _capitals(phrase: str) -> tuple[int, ...]:
    tokens = _tokens(phrase)
    gated = []
    for k, token in enumerate(tokens):
        typed = phrase[token.start : token.end]
        if not typed.isupper() or token.word in _ANY_CASE_ABBREVIATIONS:
            continue
        if token.word in _WORDLIKE_ABBREVIATIONS or (len(tokens) == 1 and len(token.word) <= 3):
            gated.append(k)
    return tuple(gated)


@cache
def _correct_forms(term: Term) -> tuple[tuple[str, str], ...]:
    """(phrase, how to show it) for the correctly spelt names and synonyms of an entry, English
    first, then Spanish."""
    return tuple(
        form
        for w in term.wordings
        for form in ((w.name, mid_sentence(w.name)), *((s, s) for s in w.synonyms))
    )


def _language_first(forms: tuple[tuple[str, str], ...], term: Term, language: int):
    """The forms with those of one wording (0 English, 1 Spanish) first: a misspelling listed in
    Spanish is corrected to the Spanish word when an English one is as close."""
    if language == 0:
        return forms
    english = 1 + len(term.synonyms)
    return (*forms[english:], *forms[:english])


@cache
def _correction(slug: str, typed: str, language: int = 0) -> str:
    """The correct wording a listed misspelling stands for: the nearest name or synonym, or the
    leading words of one ("multiple scelrosis" -> "multiple sclerosis", not the whole name
    "multiple sclerosis symptoms"); whole phrases win ties, then the name."""
    term = vocabulary.terms()[slug]
    forms = _language_first(_correct_forms(term), term, language)
    typed_words = _phrase_words(typed)
    key = "".join(typed_words)
    best: tuple[int, bool, int] | None = None
    chosen = forms[0][1]
    for order, (phrase, shown) in enumerate(forms):
        ends = [t.end for t in _tokens(shown)]
        words = _phrase_words(phrase)
        for k in range(min(len(typed_words), len(words)), len(words) + 1):
            leading = "".join(words[:k])
            score = (_distance(key, leading, len(leading) + len(key)), k < len(words), order)
            if best is None or score < best:
                best, chosen = score, shown[: ends[k - 1]]
    return chosen


@cache
def _index() -> dict[tuple[str, ...], _Phrase]:
    index: dict[tuple[str, ...], _Phrase] = {}
    for term in vocabulary.terms().values():
        correct = [p for w in term.wordings for p in (w.name, *w.synonyms, *w.lay_terms)]
        for phrase in correct:
            index.setdefault(_phrase_words(phrase), _Phrase(term, _phrase_words(phrase)))
        for language, wording in enumerate(term.wordings):
            for phrase in wording.misspellings:
                words = _phrase_words(phrase)
                index.setdefault(words, _Phrase(term, words, misspelling=phrase, language=language))
        slug_words = tuple(term.slug.split("-"))
        index.setdefault(slug_words, _Phrase(term, slug_words))
        # Capitals are judged on the vocabulary's own spelling, never on the lowercase slug.
        for phrase in correct:
            words = _phrase_words(phrase)
            if index[words].term is term and (gated := _capitals(phrase)):
                index[words] = _Phrase(term, words, gated)
    # A referral's clinical wording: the official ICD-10-CM descriptions of a condition's codes.
    for term in vocabulary.terms().values():
        for code, description in term.icd10:
            # "M54.16" on a referral too, and "M5416" as some forms and keyboards write it.
            for phrase in (description, code, code.replace(".", "")):
                words = _phrase_words(phrase)
                index.setdefault(words, _Phrase(term, words))
    terms = vocabulary.terms()
    # A code at a parent level ("M54.1", "M54"): the conditions whose codes descend from it, the
    # first standing for the others like a broad phrase (M54, dorsalgia: low back pain, sciatica).
    for code, slugs in icd10_parents().items():
        first, *others = (terms[slug] for slug in slugs)
        for phrase in (code, code.replace(".", "")):
            words = _phrase_words(phrase)
            index.setdefault(words, _Phrase(first, words, others=tuple(others)))
    for key, slugs in vocabulary.broad_phrases().items():
        words = tuple(key.split())
        first, *others = (terms[slug] for slug in slugs)
        index.setdefault(words, _Phrase(first, words, others=tuple(others)))
    index.pop((), None)
    return index


@cache
def icd10_parents() -> dict[str, tuple[str, ...]]:
    """The parent codes of the vocabulary's ICD-10-CM codes ("M54.16": "M54.1", "M54"), each
    with the conditions (slugs, in vocabulary order) that have a code under it.

    Placeholder levels ("S13.4XX") are no codes of their own and are skipped. A category (three
    characters) counts only as the family of two conditions or more (M54, dorsalgia: back and
    neck pain, sciatica): a category with one of ours under it is far wider than that one (M79,
    other soft tissue disorders, is not fibromyalgia)."""
    parents: dict[str, dict[str, None]] = {}
    for term in vocabulary.terms().values():
        for code, _description in term.icd10:
            category, _, rest = code.partition(".")
            for cut in range(len(rest)):
                parent = f"{category}.{rest[:cut]}" if cut else category
                if not parent.endswith("X"):
                    parents.setdefault(parent, {})[term.slug] = None
    listed = {code for term in vocabulary.terms().values() for code, _ in term.icd10}
    return {
        code: tuple(slugs)
        for code, slugs in parents.items()
        if code not in listed and ("." in code or len(slugs) > 1)
    }


@cache
def _known_words() -> frozenset[str]:
    """Words that are spelt right: the vocabulary's own (misspellings aside), stop and cue words."""
    words = set(_STOPWORDS | _PAIN_CUES | _CLINICAL_CUES | _SPA_CUES | _COMMON_WORDS)
    for phrase in _index().values():
        if phrase.misspelling is None:
            words.update(phrase.words)
    return frozenset(words)


@dataclass(frozen=True)
class _Candidate:
    term: Term
    words: tuple[str, ...]
    shown: str  # how a suggestion spells it


@cache
def _all_typo_candidates() -> tuple[_Candidate, ...]:
    """Names and synonyms of one or two words (five letters or more)."""
    found = []
    for term in vocabulary.terms().values():
        for phrase, shown in _correct_forms(term):
            words = _phrase_words(phrase)
            # Abbreviations have no typos worth guessing at.
            if 0 < len(words) <= 2 and len("".join(words)) >= 5:
                found.append(_Candidate(term, words, shown))
    return tuple(found)


# -- matching ---------------------------------------------------------------------------------


@dataclass
class _Match:
    start: int  # token positions [start, end)
    end: int
    term: Term
    words: tuple[str, ...]  # the entry's words as spelt right
    correction: str | None = None  # what to suggest for the typed span, when it was misspelt


def _used(matches: list[_Match], size: int) -> list[bool]:
    used = [False] * size
    for m in matches:
        for i in range(m.start, m.end):
            used[i] = True
    return used


def _exact_matches(text: str, tokens: list[_Token], protected: set[int]) -> list[_Match]:
    index = _index()
    words = tuple(t.word for t in tokens)
    shouting = not any(ch.islower() for ch in text)
    found = []
    for i in range(len(words)):
        for n in range(1, min(_MAX_PHRASE_WORDS, len(words) - i) + 1):
            phrase = index.get(words[i : i + n]) or index.get(_other_number(words[i : i + n]))
            if phrase is None or any(k in protected for k in range(i, i + n)):
                continue
            if phrase.capitals and not (n == len(words) and i == 0):
                typed = [text[tokens[i + k].start : tokens[i + k].end] for k in phrase.capitals]
                # In text that is all capitals, capitals say nothing.
                if shouting or not all(t.isupper() for t in typed):
                    continue
            found.append((n, i, phrase))
    # Longest phrase first, then leftmost; a word belongs to one phrase at most.
    found.sort(key=lambda f: (-f[0], f[1]))
    matches: list[_Match] = []
    used = [False] * len(words)
    for n, i, phrase in found:
        if not any(used[i : i + n]):
            used[i : i + n] = [True] * n
            match = _Match(i, i + n, phrase.term, phrase.words)
            if phrase.misspelling:
                match.correction = _correction(
                    phrase.term.slug, phrase.misspelling, phrase.language
                )
                match.words = _phrase_words(match.correction)
            matches.append(match)
            # "back pain": lower back pain and upper back pain, the same words.
            matches += [_Match(i, i + n, other, phrase.words) for other in phrase.others]
    return matches


def _other_number(words: tuple[str, ...]) -> tuple[str, ...]:
    """The phrase with its last word singular if plural and plural if singular ("frozen
    shoulders", "adhesion"): a grammatical variant, matched without a suggestion."""
    last = words[-1]
    if len(last) < 4 or not last.isalpha():
        return ()
    return (*words[:-1], last[:-1] if last.endswith("s") else last + "s")


def _budget(letters: int) -> int:
    """Edits allowed for a typed word of this many letters."""
    if letters < 5:
        return 0
    return 1 if letters <= 7 else 2


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment); limit + 1 once over limit."""
    return OSA.distance(a, b, score_cutoff=limit)


def _within(typed: str, form: str, budget: int) -> int | None:
    """The edit distance from typed to form when within budget, else None.

    A word whose first letter differs is a typo only through a slip of that letter, which costs
    one edit and leaves the rest to the remaining budget: a silent letter dropped ("ciatica"),
    one added, or a letter that sounds the same ("kupping", "servical"). Any other change of
    the first letter is a different word ("pension" is not "tension")."""
    # Everyday inflected words are one edit from many others ("relating" is not "relaxing").
    limit = min(budget, 1) if form.endswith(_EVERYDAY_ENDINGS) else budget
    if typed[:1] != form[:1]:
        if not limit:
            return None
        slips = [(typed, form[1:]), (typed[1:], form)]
        if typed[:1] + form[:1] in _SOUND_ALIKE:
            slips.append((typed[1:], form[1:]))
        rest = min(_distance(a, b, limit - 1) for a, b in slips)
        return 1 + rest if rest <= limit - 1 else None
    d = _distance(typed, form, limit) if limit else int(typed != form)
    return d if d <= limit else None


def _typo_distance(typed: tuple[str, ...], candidate: _Candidate) -> int | None:
    """How far typed words are from a candidate, or None when too far to be a typo of it.

    One word against one: the word's budget. A word against a two-word phrase, or a pair against
    a one-word name, compare without the space ("deeptisue", "fibro myalgia"). A pair against a
    pair: each word within its own budget, so short words must be exact ("self name" is not
    "self-care").
    """
    if len(typed) == 2 and len(candidate.words) == 2:
        first = _within(typed[0], candidate.words[0], _budget(len(typed[0])))
        second = _within(typed[1], candidate.words[1], _budget(len(typed[1])))
        return None if first is None or second is None else first + second
    joined = "".join(typed)
    return _within(joined, "".join(candidate.words), _budget(len(joined)))


@cache
def _candidates_by_length() -> dict[int, tuple[tuple[int, _Candidate], ...]]:
    """The typo candidates by the letters of their words, each with its place in the list."""
    found: dict[int, list[tuple[int, _Candidate]]] = {}
    for k, candidate in enumerate(_all_typo_candidates()):
        found.setdefault(len("".join(candidate.words)), []).append((k, candidate))
    return {letters: tuple(group) for letters, group in found.items()}


def _candidates_near(typed: tuple[str, ...]) -> list[_Candidate]:
    """The candidates typed words could be within budget of, in the list's order: every edit
    changes the length by one at most, so only lengths within the budget can be (both
    languages' names make the full list long, and it is read for every unknown word)."""
    letters = len("".join(typed))
    reach = _budget(letters)
    if len(typed) == 2:
        reach = max(reach, sum(_budget(len(word)) for word in typed))
    by_length = _candidates_by_length()
    near = [c for n in range(letters - reach, letters + reach + 1) for c in by_length.get(n, ())]
    return [candidate for _k, candidate in sorted(near, key=lambda kc: kc[0])]


@lru_cache(maxsize=4096)
def _closest_candidate(typed: tuple[str, ...]) -> _Candidate | None:
    """The one name or synonym typed words are a typo of (None if none, or a tie)."""
    best: list[tuple[int, _Candidate]] = []
    for candidate in _candidates_near(typed):
        d = _typo_distance(typed, candidate)
        if d is not None and candidate.words != typed:
            best.append((d, candidate))
    if not best:
        return None
    least = min(d for d, _ in best)
    winners = [c for d, c in best if d == least]
    # Two entries equally close is no answer; within one entry the name (listed first) wins.
    return winners[0] if len({c.term.slug for c in winners}) == 1 else None


def _body_matches(words: list[str], free: list[bool]) -> list[_Match]:
    """A body part named with a word saying it hurts or is tight, on either side and a few link
    words apart ("my neck is killing me", "sore calves", "calves are so tight"): the entries
    that complaint stands for (data: words.body_parts). Parts and words a phrase used are not
    read again ("neck pain" is a name)."""
    terms = vocabulary.terms()
    matches = []
    for i in range(len(words)):
        for n in (2, 1):
            part = tuple(words[i : i + n])
            if len(part) < n or part not in _BODY_PARTS or not all(free[i : i + n]):
                continue
            said = _body_word(words, free, i + n, 1) or _body_word(words, free, i - 1, -1)
            if said is None:
                continue
            start, end, kind = min(i, said[0]), max(i + n, said[1]), said[2]
            slugs = _BODY_PARTS[part][kind]
            matches += [_Match(start, end, terms[slug], part) for slug in slugs]
            free[start:end] = [False] * (end - start)
            break
    return matches


def _body_word(words: list[str], free: list[bool], k: int, step: int):
    """(start, end, kind) of the complaint word nearest position k going one way (step +1 or
    -1) past link words only; None when there is none."""
    links = 0
    while 0 <= k < len(words) and free[k]:
        for n in (2, 1):
            span = (k, k + n) if step > 0 else (k - n + 1, k + 1)
            said = tuple(words[max(span[0], 0) : span[1]])
            if len(said) == n and said in _BODY_WORDS and all(free[span[0] : span[1]]):
                return (*span, _BODY_WORDS[said])
        if words[k] not in _BODY_LINKS or links == _MAX_BODY_LINKS:
            return None
        links += 1
        k += step
    return None


def _typo_matches(words: list[str], free: list[bool]) -> list[_Match]:
    known = _known_words()

    def unknown(i: int) -> bool:
        return free[i] and words[i].isalpha() and words[i] not in known and len(words[i]) >= 5

    def open_word(i: int) -> bool:
        return free[i] and words[i].isalpha() and words[i] not in _STOPWORDS

    matches = []
    # Pairs first: "carpal tunel" is one phrase, not a word and a typo.
    for i in range(len(words) - 1):
        if not (open_word(i) and open_word(i + 1) and (unknown(i) or unknown(i + 1))):
            continue
        if candidate := _closest_candidate((words[i], words[i + 1])):
            matches.append(_Match(i, i + 2, candidate.term, candidate.words, candidate.shown))
            free[i] = free[i + 1] = False
    for i in range(len(words)):
        if unknown(i) and (candidate := _closest_candidate((words[i],))):
            matches.append(_Match(i, i + 1, candidate.term, candidate.words, candidate.shown))
            free[i] = False
    return matches


def _extend(matches: list[_Match], words: list[str], free: list[bool]) -> None:
    """Let a matched phrase absorb a misspelt neighbour that completes a longer name or synonym
    of the same entry ("craniosacral therpy" -> craniosacral therapy)."""
    known = _known_words()
    grown = True
    while grown:
        grown = False
        for m in matches:
            for side in (m.end, m.start - 1):
                if not (0 <= side < len(words)) or not free[side]:
                    continue
                word = words[side]
                if word in known or not word.isalpha() or not (budget := _budget(len(word))):
                    continue
                for phrase, shown in _correct_forms(m.term):
                    target = _phrase_words(phrase)
                    if len(target) != len(m.words) + 1:
                        continue
                    after = side == m.end
                    rest, other = (target[:-1], target[-1]) if after else (target[1:], target[0])
                    if rest == m.words and _distance(word, other, budget) <= budget:
                        m.start, m.end = min(m.start, side), max(m.end, side + 1)
                        m.words, m.correction = target, shown
                        free[side] = False
                        grown = True
                        break


def _choices(matches: list[_Match]) -> tuple[tuple[str, ...], ...]:
    spans: dict[tuple[int, int], list[str]] = {}
    for m in matches:
        if m.term.kind == "condition":
            spans.setdefault((m.start, m.end), []).append(m.term.slug)
    return tuple(tuple(slugs) for slugs in spans.values() if len(slugs) > 1)


def _slugs(found: Iterable[Term]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.slug for t in found))


# -- setting, place, suggestion ---------------------------------------------------------------


def _cues(words: list[str], free: list[bool]) -> tuple[set[str], set[int]]:
    """The kinds of cue ("pain", "clinical", "spa") among the free words, and their positions."""
    kinds: set[str] = set()
    positions: set[int] = set()
    for i, word in enumerate(words):
        if not free[i] or i in positions:
            continue
        pair = (word, words[i + 1]) if i + 1 < len(words) and free[i + 1] else None
        if pair in _CUE_PAIRS:
            kinds.add(_CUE_PAIRS[pair])
            positions.update((i, i + 1))
        elif word in _PAIN_CUES:
            kinds.add("pain")
            positions.add(i)
        elif word in _CLINICAL_CUES:
            kinds.add("clinical")
            positions.add(i)
        elif word in _SPA_CUES:
            kinds.add("spa")
            positions.add(i)
    return kinds, positions


def _setting(matched: list[Term], cues: set[str]) -> str | None:
    medical_condition = any(t.kind == "condition" and t.setting == "medical" for t in matched)
    medical_modality = any(t.kind == "modality" and t.setting == "medical" for t in matched)
    spa = "spa" in cues or any(t.setting == "spa" for t in matched)
    if medical_condition or "pain" in cues:
        return "medical"
    if medical_modality or "clinical" in cues:
        return None if spa else "medical"
    return "spa" if spa else None


def _place_start(text: str, tokens: list[_Token], used: list[bool], protected: set[int]) -> int:
    """Where a trailing place ("near Hoboken, NJ") begins, its preposition included;
    len(tokens) when the need names no place."""
    size = len(tokens)
    words = [t.word for t in tokens]
    lowest = max(0, size - _MAX_PLACE_WORDS - _LONGEST_PREPOSITION - 1)
    last = max(
        (i for i in range(lowest, size - 1)
         if (n := _preposition_at(words, i)) and i + n < size and not any(used[i : i + n])),
        default=None,
    )  # fmt: skip
    if last is None:
        return size
    place = range(last + _preposition_at(words, last), size)
    named = [i for i in place if i not in protected]
    if not named or len(named) > _MAX_PLACE_WORDS or any(used[i] for i in named):
        return size
    words = [tokens[i].word for i in named]
    if words[0] in _NOT_PLACE_FIRST:
        return size
    if all(w.isdigit() for w in words) or protected:
        return last
    typed = text[tokens[named[0]].start : tokens[named[-1]].end]
    if typed[0].isupper() and any(ch.islower() for ch in text):
        return last  # "Back Bay", "Hot Springs": capitals mark a name
    cue_words = _PAIN_CUES | _CLINICAL_CUES | _SPA_CUES
    if any(w in _NOT_PLACE_WORDS or w in cue_words for w in words):
        return size
    if all(w in _STOPWORDS for w in words):
        return size
    return last


def _preposition_at(words: list[str], i: int) -> int:
    """How many words the place preposition starting at position i has (0: none there)."""
    return max(
        (len(p) for p in _PLACE_PREPOSITIONS if tuple(words[i : i + len(p)]) == p), default=0
    )


def _place(text: str, tokens: list[_Token], place_from: int) -> str | None:
    start = place_from + _preposition_at([t.word for t in tokens], place_from)
    if place_from >= len(tokens) - 1 or start >= len(tokens):
        return None
    return _clean(text[tokens[start].start : tokens[-1].end])


def _clean(text: str) -> str:
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return " ".join(text.split())


def _suggestion(text: str, tokens: list[_Token], matches: list[_Match]) -> str | None:
    corrected = [m for m in matches if m.correction]
    if not corrected:
        return None
    parts, position = [], 0
    for m in corrected:
        parts += [text[position : tokens[m.start].start], m.correction]
        position = tokens[m.end - 1].end
    parts.append(text[position:])
    return _clean("".join(parts))


# -- names for people -------------------------------------------------------------------------


def _name(slug: str) -> str:
    term = vocabulary.terms().get(slug)
    return term.name if term else slug


def mid_sentence(name: str) -> str:
    """A sentence-case name as it reads mid-sentence: "Sciatica" -> "sciatica", but "TMJ
    disorder", "Swedish massage" and "Active Release Techniques" keep their capitals."""
    first, _, rest = name.partition(" ")
    if (
        first.lower() in _PROPER_WORDS
        or sum(ch.isupper() for ch in first) > 1
        or any(word[:1].isupper() for word in rest.split())
    ):
        return name
    return first.lower() + (" " + rest if rest else "")


def _join(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) == 1:
        return items[0]
    if any(" and " in item for item in items):  # "lower back pain, desk posture and tech neck"
        return ", ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
