"""The curated vocabulary of conditions and modalities: the data file, its lookups, its tables."""

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from directory.db import db, one_of

#: A practitioner's setting: spa (relaxation), medical (treatment) or both. The one list of
#: its values; the search index stores each as its position here (search.columns).
SETTINGS = ("spa", "medical", "both")

#: Which way a condition or modality leans (its `setting` column): the setting it usually
#: calls for, or either.
LEANINGS = ("medical", "spa", "either")


def offers(setting: str, kind: str) -> bool:
    """Whether a practitioner of `setting` offers `kind` ("spa" or "medical") massage: those of
    that setting and those of both."""
    return setting in (kind, "both")


class Condition(db.Model):
    __tablename__ = "condition"
    __table_args__ = (one_of("setting", LEANINGS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The setting this condition usually calls for.
    setting: Mapped[str] = mapped_column(String(8))
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    advice: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<Condition {self.slug}>"


class Modality(db.Model):
    __tablename__ = "modality"
    __table_args__ = (one_of("setting", LEANINGS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: Where this modality is usually offered.
    setting: Mapped[str] = mapped_column(String(8))
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<Modality {self.slug}>"


@dataclass(frozen=True)
class Wording:
    """How one language names an entry beyond its English: a name, synonyms, everyday phrasings
    and common misspellings (data/vocabulary-es.json for Spanish)."""

    name: str
    synonyms: tuple[str, ...] = ()
    lay_terms: tuple[str, ...] = ()
    misspellings: tuple[str, ...] = ()
    #: A modality's description in this language (what `Term.text` says in English).
    description: str = ""


@dataclass(frozen=True)
class Term:
    """One vocabulary entry as the data file describes it."""

    kind: str  # "condition" | "modality" | "red_flag" (a sign that needs a doctor first)
    slug: str
    name: str
    setting: str
    synonyms: tuple[str, ...]
    lay_terms: tuple[str, ...]
    misspellings: tuple[str, ...]
    modalities: tuple[str, ...] = ()
    text: str = ""  # advice for a condition or red flag, description for a modality
    #: How advice is shown: "info" beside results, "see_doctor_first" above them.
    level: str = ""
    #: Where the advice comes from (red flags cite their clinical sources).
    sources: tuple[str, ...] = ()
    #: (ICD-10-CM code, official description) pairs a referral may name (medical conditions).
    icd10: tuple[tuple[str, str], ...] = ()
    #: How Spanish-speaking clients name it (a need is read in either language).
    spanish: Wording | None = None

    @property
    def wordings(self) -> tuple[Wording, ...]:
        """The entry's names in every language, English first."""
        english = Wording(self.name, self.synonyms, self.lay_terms, self.misspellings)
        return (english, self.spanish) if self.spanish else (english,)

    @property
    def phrases(self) -> tuple[str, ...]:
        """Every way of naming this entry, the display name first."""
        found = [self.name, self.slug.replace("-", " ")]
        for wording in self.wordings:
            found += [wording.name, *wording.synonyms, *wording.lay_terms, *wording.misspellings]
        return tuple(dict.fromkeys(found))


_APOSTROPHES = re.compile(r"['\u2018\u2019`]")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Lowercase ASCII words separated by single spaces ("Golfer's-Elbow!" -> "golfers elbow")."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _APOSTROPHES.sub("", text.lower())
    return _NON_WORD.sub(" ", text).strip()


def _term(kind: str, raw: dict[str, Any]) -> Term:
    spanish = _spanish()["entries"].get(raw["slug"])
    return Term(
        kind=kind,
        slug=raw["slug"],
        name=raw["name"],
        setting=raw["setting"],
        synonyms=tuple(raw.get("synonyms", ())),
        lay_terms=tuple(raw.get("lay_terms", ())),
        misspellings=tuple(raw.get("misspellings", ())),
        modalities=tuple(raw.get("modalities", ())),
        text=raw.get("advice") or raw.get("description") or "",
        level=raw.get("advice_level", "") if raw.get("advice") else "",
        sources=tuple(raw.get("sources", ())),
        icd10=tuple(raw.get("icd10", {}).items()),
        spanish=_wording(spanish) if spanish else None,
    )


def _wording(raw: dict[str, Any]) -> Wording:
    return Wording(
        name=raw["name"],
        synonyms=tuple(raw.get("synonyms", ())),
        lay_terms=tuple(raw.get("lay_terms", ())),
        misspellings=tuple(raw.get("misspellings", ())),
        description=raw.get("description", ""),
    )


@cache
def _data() -> dict:
    return json.loads(resources.files("directory").joinpath("data/vocabulary.json").read_text())


@cache
def _spanish() -> dict:
    """Needs in Spanish: names and phrasings by slug, sign rules, word lists."""
    text = resources.files("directory").joinpath("data/vocabulary-es.json").read_text()
    return json.loads(text)


@cache
def words() -> dict:
    """The need interpreter's word lists (stopwords, cue words...), from the data files: each
    list holds its English and its Spanish words."""
    found = {k: v for k, v in _data()["words"].items() if not k.startswith("_")}
    for key, spanish in _spanish()["words"].items():
        english = found.get(key, type(spanish)())
        if isinstance(spanish, dict):
            found[key] = {**english, **spanish}
        else:
            found[key] = [*english, *(w for w in spanish if w not in english)]
    return found


@cache
def terms() -> dict[str, Term]:
    """Every vocabulary entry by slug, read once from the packaged data file."""
    raw = _data()
    entries = [_term("condition", c) for c in raw["conditions"]]
    entries += [_term("modality", m) for m in raw["modalities"]]
    entries += [_term("red_flag", r) for r in raw["red_flags"]]
    found = {t.slug: t for t in entries}
    if unknown := set(_spanish()["entries"]) - set(found):
        raise ValueError(f"Spanish wording for unknown entries: {sorted(unknown)}")
    return found


@cache
def _phrase_index() -> dict[str, Term]:
    index: dict[str, Term] = {}
    for term in terms().values():
        for phrase in term.phrases:
            key = normalize(phrase)
            if key and index.setdefault(key, term) is not term:
                raise ValueError(f"vocabulary phrase {phrase!r} names two entries")
    return index


def lookup(text: str, kind: str | None = None) -> Term | None:
    """The entry a name, slug, synonym or known misspelling refers to, ignoring case and
    punctuation ("Slipped-Disc" -> herniated disc); None when unknown."""
    term = _phrase_index().get(normalize(text))
    if term is None or (kind is not None and term.kind != kind):
        return None
    return term


def conditions() -> list[Term]:
    """The condition entries, by display name."""
    return sorted((t for t in terms().values() if t.kind == "condition"), key=lambda t: t.name)


def modalities() -> list[Term]:
    """The modality entries, by display name."""
    return sorted((t for t in terms().values() if t.kind == "modality"), key=lambda t: t.name)


@cache
def broad_phrases() -> dict[str, tuple[str, ...]]:
    """Everyday phrases that stand for several entries ("back pain": lower or upper back pain),
    by their normalized words; the entries' slugs in order."""
    found: dict[str, tuple[str, ...]] = {}
    known = terms()
    for raw in (*_data()["broad_phrases"], *_spanish()["broad_phrases"]):
        key = normalize(raw["phrase"])
        slugs = tuple(raw["terms"])
        unknown = [slug for slug in slugs if slug not in known]
        if unknown or len(slugs) < 2:
            raise ValueError(f"broad phrase {raw['phrase']!r}: {unknown or 'needs two entries'}")
        if key in _phrase_index() or key in found:
            raise ValueError(f"broad phrase {raw['phrase']!r} is already a phrase")
        found[key] = slugs
    return found


def red_flags() -> list[Term]:
    """Signs that need a doctor before any massage (not conditions a therapist treats)."""
    return [t for t in terms().values() if t.kind == "red_flag"]


#: How urgent a red flag's advice is, most urgent first (DESIGN.md, "Advice levels").
ADVICE_LEVELS = ("emergency", "see_doctor_first", "info")


@dataclass(frozen=True)
class SpecialtyKind:
    """A kind of specialty credential (data file "specialties")."""

    kind: str
    name: str
    short: str
    description: str
    issuers: tuple[str, ...]


@cache
def specialties() -> dict[str, SpecialtyKind]:
    """The kinds of specialty credential by kind ("clt", "prenatal"...), in the file's order."""
    return {
        raw["kind"]: SpecialtyKind(
            raw["kind"], raw["name"], raw["short"], raw["description"], tuple(raw["issuers"])
        )
        for raw in _data()["specialties"]
    }


@dataclass(frozen=True)
class Population:
    """Clients who need a specialist (pregnancy -> prenatal): named by one of `terms` or by
    its sign rules."""

    slug: str
    name: str
    specialty: str
    terms: tuple[str, ...]
    signs: tuple[dict, ...]
    advice: str
    #: Populations this one stands in for (lymphedema after cancer: a CLT, not also oncology).
    covers: tuple[str, ...] = ()


@cache
def populations() -> tuple[Population, ...]:
    """The populations the search routes to a verified specialty, in the file's order."""
    found = []
    spanish = _spanish()["population_signs"]
    if unknown := set(spanish) - {raw["slug"] for raw in _data()["populations"]}:
        raise ValueError(f"Spanish signs for unknown populations: {sorted(unknown)}")
    for raw in _data()["populations"]:
        unknown = [s for s in raw["terms"] if s not in terms()]
        if raw["specialty"] not in specialties() or unknown:
            raise ValueError(f"population {raw['slug']!r}: unknown {unknown or raw['specialty']}")
        found.append(
            Population(
                slug=raw["slug"],
                name=raw["name"],
                specialty=raw["specialty"],
                terms=tuple(raw["terms"]),
                signs=(*raw["signs"], *spanish.get(raw["slug"], ())),
                advice=raw["advice"],
                covers=tuple(raw.get("covers", ())),
            )
        )
    return tuple(found)


@cache
def red_flag_signs() -> dict[str, tuple[dict, ...]]:
    """Each red flag's sign rules (symptoms in everyday words), by slug."""
    spanish = _spanish()["red_flag_signs"]
    if unknown := set(spanish) - {raw["slug"] for raw in _data()["red_flags"]}:
        raise ValueError(f"Spanish signs for unknown red flags: {sorted(unknown)}")
    return {
        raw["slug"]: (*raw.get("signs", ()), *spanish.get(raw["slug"], ()))
        for raw in _data()["red_flags"]
    }


def sync() -> tuple[int, int]:
    """Upsert the data file into the condition and modality tables; returns (added, updated).

    (Profiles listing an entry whose name or synonyms changed are queued for re-indexing by
    the search outbox, which watches every flush: search.outbox._retexted.)"""
    added = updated = 0
    for model, entries in ((Condition, conditions()), (Modality, modalities())):
        existing = {row.slug: row for row in db.session.scalars(select(model))}
        for term in entries:
            values = {
                "name": term.name,
                "setting": term.setting,
                "synonyms": list(term.synonyms),
                ("advice" if model is Condition else "description"): term.text,
            }
            row = existing.get(term.slug)
            if row is None:
                db.session.add(model(slug=term.slug, **values))
                added += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(row, key, value)
                updated += 1
        db.session.flush()
    return added, updated
