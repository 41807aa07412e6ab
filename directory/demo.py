"""Deterministic, realistic demo data: `flask --app directory demo load [--count N] [--seed S]`.

`generate()` is pure: the same (count, seed, today) always yields the same practitioner records,
in the import format (DESIGN.md) plus a few fields the import does not carry. `insert_records()`
writes them with Core bulk inserts so that 100,000 practitioners load in well under a minute.

Specialty certificates: a share of therapists hold some (prenatal, oncology, CLT for the
lymphatic specialists, MLD, NMT, sports, geriatric), mostly verified, some pending, a few
rejected or expired; the Hoboken / New York cluster always has verified prenatal, oncology and
CLT therapists to route to. Verified demo certificates have no uploaded document: they stand
for ones our staff checked. The first DEMO_DOCUMENTS pending ones get a generated picture of a
certificate (marked as a demo), so the admin queue can be tried end to end.
"""

import io
import json
import random
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import func, insert, select, text

from directory import audit, geo, licensing, specialties, validation, vocabulary
from directory.accounts import passwords
from directory.accounts.models import User
from directory.db import db, now_utc, writing
from directory.interpret import mid_sentence
from directory.practices.models import Membership, Tenant
from directory.practitioners import documents, fields, operations, photos
from directory.practitioners.models import (
    License,
    Office,
    Practitioner,
    Specialty,
    practitioner_condition,
    practitioner_modality,
)
from directory.search import outbox
from directory.vocabulary import Condition, Modality

demo_cli = AppGroup("demo", help="Demo data for trying the directory out.")

MAX_COUNT = 400_000  # about every massage therapist in the US (bench/search.py at scale)
BATCH_SIZE = 1000

#: Shares of *practitioners* working for each kind of tenant, and each kind's size range.
_KIND_SHARES = {"practice": 0.30, "clinic": 0.30, "spa": 0.25, "network": 0.15}
_KIND_SIZES = {"practice": (1, 1), "clinic": (3, 12), "spa": (4, 15), "network": (15, 60)}
#: Overall shares of the settings: spas employ mostly spa therapists, clinics mostly medical
#: ones, and solo practitioners make up the difference (see _Generator.setting). The order is
#: that of the weights in _KIND_SETTINGS.
_SETTING_SHARES = {"medical": 0.40, "spa": 0.35, "both": 0.25}
_SETTINGS = tuple(_SETTING_SHARES)
_KIND_SETTINGS = {"clinic": (80, 2, 18), "spa": (2, 80, 18), "network": (40, 35, 25)}

#: Share of locations in the Hudson County / Manhattan / Brooklyn cluster.
_CLUSTER_SHARE = 0.36

#: The generator's word lists (names, streets, languages, notes): data/demo.json.
_WORDS = json.loads(resources.files("directory").joinpath("data/demo.json").read_text())
_HUDSON_ZIPS = tuple(_WORDS["hudson_zips"])
_FEMALE_FIRST = tuple(_WORDS["female_first_names"])
_MALE_FIRST = tuple(_WORDS["male_first_names"])
_FEMALE_SET = frozenset(_FEMALE_FIRST)
_LAST = tuple(_WORDS["last_names"])
_AVOID_NAMES = frozenset(_WORDS["avoid_names"])
_PLACE_WORDS = tuple(_WORDS["place_words"])
_SECOND_WORDS = tuple(_WORDS["second_words"])
_PAIRS = tuple(tuple(pair) for pair in _WORDS["pairs"])
_DISTRICTS = tuple(_WORDS["districts"])
_STREET_NAMES = tuple(_WORDS["street_names"])
_STREET_SUFFIXES = tuple(_WORDS["street_suffixes"])
_LANGUAGES = tuple((name, weight) for name, weight in _WORDS["languages"])
_EMAIL_DOMAINS = tuple(_WORDS["email_domains"])
_INSURANCE_NOTES = tuple(_WORDS["insurance_notes"])
_SUSPENSION_REASONS = tuple(_WORDS["suspension_reasons"])


#: Credentials by the state of the practitioner's first office (North Carolina's title is
#: LMBT, California certifies CMTs); LMT elsewhere.
_STATE_CREDENTIAL = {"NC": "LMBT", "CA": "CMT"}
_LYMPH_MODALITIES = (
    "manual-lymphatic-drainage",
    "complete-decongestive-therapy",
    "post-operative-lymphatic-massage",
)
_LYMPH_CONDITIONS = ("lymphedema", "post-surgical-swelling")
_LICENSE_STATES = ("verified", "pending", "rejected", "expired")
_REJECTION_NOTE = "Number not found in the state board's public lookup."

#: Chance that a therapist of each setting holds a certificate of each kind (CLT is the
#: lymphatic specialists', who all hold one; NMT follows the credentials line, see
#: _Generator.specialties).
_SPECIALTY_CHANCES = {
    "medical": {"oncology": 0.07, "prenatal": 0.06, "sports": 0.09, "mld": 0.04,
                "geriatric": 0.04, "nmt": 0.03},
    "both": {"prenatal": 0.10, "sports": 0.06, "oncology": 0.04, "geriatric": 0.04,
             "nmt": 0.02},
    "spa": {"prenatal": 0.07, "geriatric": 0.02},
}  # fmt: skip
#: Populations the search routes to a verified specialist: the cluster keeps at least this
#: share of its listed medical and "both" therapists verified in each (and at least one).
_CLUSTER_SPECIALISTS = {"prenatal": 0.06, "oncology": 0.05}
#: ...and at least this many verified CLTs among its lymphatic specialists.
_CLUSTER_CLTS = 3
_CERTIFICATE_PREFIX = {"clt": "CLT", "mld": "MLD", "prenatal": "PN", "oncology": "ONC",
                       "nmt": "NMT", "sports": "SM", "geriatric": "GM"}  # fmt: skip
_SPECIALTY_REJECTION_NOTE = "The certificate number is not in the issuer's register."


@dataclass(frozen=True)
class _Zip:
    code: str
    city: str
    state: str
    lat: float
    lon: float
    area_code: str


@dataclass(frozen=True)
class _Pool:
    """Active STANDARD ZIPs of the 52 licensing jurisdictions, sorted by code."""

    zips: tuple[_Zip, ...]
    #: Cumulative weights for national picks: bigger cities (more ZIPs) are likelier.
    cum_weights: tuple[float, ...]
    by_code: dict[str, _Zip]
    #: ZIPs sharing a 3-digit prefix (one sectional centre): "nearby" for second offices.
    by_prefix: dict[str, tuple[_Zip, ...]]
    hudson: tuple[_Zip, ...]
    manhattan: tuple[_Zip, ...]
    brooklyn: tuple[_Zip, ...]

    @property
    def cluster(self) -> tuple[_Zip, ...]:
        return self.hudson + self.manhattan + self.brooklyn


@cache
def _pool() -> _Pool:
    jurisdictions = licensing.states()
    rows = [
        (z.code, z.city, z.state, z.lat, z.lon, z.area_codes)
        for z in geo.zip_records()
        if z.kind == "STANDARD" and z.active and z.state in jurisdictions
    ]
    rows.sort()
    state_area: dict[str, str] = {}
    for _code, _city, state, _lat, _lon, areas in rows:
        if areas:
            state_area.setdefault(state, areas[0])
    zips = tuple(
        _Zip(code, city, state, lat, lon, areas[0] if areas else state_area.get(state, "201"))
        for code, city, state, lat, lon, areas in rows
    )
    city_size = Counter((z.state, z.city) for z in zips)
    cum, total = [], 0.0
    for z in zips:
        total += min(city_size[(z.state, z.city)], 20)
        cum.append(total)
    by_prefix: dict[str, list[_Zip]] = {}
    for z in zips:
        by_prefix.setdefault(z.code[:3], []).append(z)
    by_code = {z.code: z for z in zips}
    return _Pool(
        zips=zips,
        cum_weights=tuple(cum),
        by_code=by_code,
        by_prefix={k: tuple(v) for k, v in by_prefix.items()},
        hudson=tuple(by_code[c] for c in _HUDSON_ZIPS if c in by_code),
        manhattan=tuple(z for z in zips if "10001" <= z.code <= "10282"),
        brooklyn=tuple(z for z in zips if z.code.startswith("112")),
    )


def _number_template(rule: licensing.StateRule) -> tuple[str, int] | None:
    """(kept prefix, digits to add) that fits the state's pattern, derived from its example."""
    if not (rule.number_pattern and rule.number_example):
        return None
    example = licensing.normalize_number(rule.number_example)
    pattern = rule.pattern
    for keep in range(len(example) + 1):
        prefix, rest = example[:keep], example[keep:]
        if rest and not rest.isdigit():
            continue
        if all(pattern.fullmatch(prefix + d * len(rest)) for d in "09"):
            return prefix, len(rest)
    return None


@cache
def _number_templates() -> dict[str, tuple[str, int] | None]:
    return {code: _number_template(rule) for code, rule in licensing.states().items()}


@dataclass(frozen=True)
class _Vocabulary:
    conditions: dict[str, vocabulary.Term]
    #: Pools of slugs, sorted, for each kind of therapist.
    spa_conditions: tuple[str, ...]
    medical_conditions: tuple[str, ...]
    spa_modalities: tuple[str, ...]
    medical_modalities: tuple[str, ...]
    lymph_modalities: tuple[str, ...]
    lymph_conditions: tuple[str, ...]
    #: Display names as they read inside a sentence ("deep tissue massage").
    phrases: dict[str, str]
    settings: dict[str, str]


@cache
def _vocabulary() -> _Vocabulary:
    conditions = {t.slug: t for t in vocabulary.conditions()}
    modalities = {t.slug: t for t in vocabulary.modalities()}
    # Lymphedema and post-surgical swelling call for a certified lymphedema therapist: only the
    # lymphatic specialists list them (and the drainage techniques), never a spa therapist.
    lymph_modalities = tuple(s for s in _LYMPH_MODALITIES if s in modalities)
    lymph_conditions = tuple(s for s in _LYMPH_CONDITIONS if s in conditions)
    restricted = set(lymph_modalities) | set(lymph_conditions)

    def pool(terms: dict[str, vocabulary.Term], settings: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(
            sorted(s for s, t in terms.items() if t.setting in settings and s not in restricted)
        )

    return _Vocabulary(
        conditions=conditions,
        spa_conditions=pool(conditions, ("spa", "either")),
        medical_conditions=pool(conditions, ("medical", "either")),
        spa_modalities=pool(modalities, ("spa", "either")),
        medical_modalities=pool(modalities, ("medical", "either")),
        lymph_modalities=lymph_modalities,
        lymph_conditions=lymph_conditions,
        phrases={
            t.slug: mid_sentence(t.name) for t in (*conditions.values(), *modalities.values())
        },
        settings={t.slug: t.setting for t in (*conditions.values(), *modalities.values())},
    )


#: The share of demo profiles with a (drawn) photo.
PORTRAIT_SHARE = 0.1
_PORTRAIT_TONES = ((63, 111, 104), (122, 90, 158), (160, 82, 45), (47, 95, 143), (143, 63, 95))


def _portrait(seed: str) -> str:
    """A drawn portrait for a demo profile (a silhouette on a two-colour ground), stored like an
    upload (photos.save: re-encoded, kept only if the load commits); returns its file name."""
    import io

    from PIL import Image, ImageDraw
    from werkzeug.datastructures import FileStorage

    rng = random.Random(f"portrait:{seed}")
    ground = rng.choice(_PORTRAIT_TONES)
    light = tuple(min(255, c + 90) for c in ground)
    image = Image.new("RGB", (240, 240), light)
    draw = ImageDraw.Draw(image)
    for y in range(240):  # a soft vertical gradient
        mix = y / 239
        shade = tuple(int(a * (1 - mix) + b * mix) for a, b in zip(light, ground, strict=True))
        draw.line([(0, y), (239, y)], fill=shade)
    figure = tuple(max(0, c - 40) for c in ground)
    draw.ellipse((80, 46, 160, 130), fill=figure)  # head
    draw.ellipse((38, 138, 202, 300), fill=figure)  # shoulders
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    buffer.seek(0)
    return photos.save(FileStorage(buffer, "portrait.png"))


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _listing(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class _Branch:
    street: str
    zip: _Zip


@dataclass
class _Tenant:
    slug: str
    name: str
    kind: str
    size: int
    branches: list[_Branch]
    #: Weights of medical, spa and both; empty for a solo practice (see _Generator.setting).
    setting_weights: tuple[int, ...]
    website: str
    description: str
    phone: str
    #: A solo practice is named after (or by) its one therapist.
    owner: tuple[str, str] | None = None


@dataclass
class _Generator:
    rng: random.Random
    today: date
    taken_tenant_slugs: frozenset[str]
    pool: _Pool = field(default_factory=_pool)
    vocab: _Vocabulary = field(default_factory=_vocabulary)
    slug_counts: dict[str, int] = field(default_factory=dict)
    tenant_slug_counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cluster_codes = {z.code for z in self.pool.cluster}
        #: Listed medical and "both" therapists in the cluster, and its verified specialists
        #: by kind (see specialties).
        self.cluster_medical = 0
        self.cluster_verified: Counter = Counter()
        self.setting_counts = dict.fromkeys(_SETTINGS, 0)
        #: Practitioners placed in the cluster and elsewhere, by tenant (see any_zip).
        self.placed = [0.0, 0.0]
        self.states = tuple(sorted(licensing.states()))
        self.language_names = tuple(name for name, _w in _LANGUAGES)
        self.language_weights = tuple(w for _name, w in _LANGUAGES)

    # -- places -------------------------------------------------------------------------------

    def cluster_zip(self) -> _Zip:
        r = self.rng.random()
        if r < 0.55:
            return self.rng.choice(self.pool.hudson)
        return self.rng.choice(self.pool.manhattan if r < 0.85 else self.pool.brooklyn)

    def national_zip(self) -> _Zip:
        return self.rng.choices(self.pool.zips, cum_weights=self.pool.cum_weights)[0]

    def any_zip(self, weight: float, avoid_states: Iterable[str] = ()) -> _Zip:
        """A ZIP around Hoboken / New York or anywhere else, for `weight` practitioners.

        Like settings, the choice leans towards whichever side is short of its share so far:
        one 12-person clinic must not decide whether a small demo has a Hoboken cluster.
        """
        placed = sum(self.placed) + weight
        cluster_gap = max(0.05, _CLUSTER_SHARE * placed - self.placed[0])
        national_gap = max(0.05, (1 - _CLUSTER_SHARE) * placed - self.placed[1])
        if self.rng.random() * (cluster_gap + national_gap) < cluster_gap:
            self.placed[0] += weight
            return self.cluster_zip()
        self.placed[1] += weight
        zip_ = self.national_zip()
        for _attempt in range(5):
            if zip_.state not in avoid_states:
                break
            zip_ = self.national_zip()
        return zip_

    def near_zip(self, zip_: _Zip) -> _Zip:
        """Another ZIP in the same area; around Hoboken it may be across the river in NY."""
        if zip_.code in self.cluster_codes:
            return self.cluster_zip()
        return self.rng.choice(self.pool.by_prefix[zip_.code[:3]])

    def street(self) -> str:
        number = self.rng.choice((self.rng.randint(1, 99), self.rng.randint(100, 2999)))
        name = self.rng.choice(_STREET_NAMES)
        return f"{number} {name} {self.rng.choice(_STREET_SUFFIXES)}"

    def branch(self, zip_: _Zip) -> _Branch:
        return _Branch(self.street(), zip_)

    def phone(self, zip_: _Zip) -> str:
        # 555-0100 to 555-0199 are reserved for fiction.
        return f"({zip_.area_code}) 555-01{self.rng.randint(0, 99):02d}"

    # -- names --------------------------------------------------------------------------------

    def person(self) -> tuple[str, str]:
        while True:
            firsts = _FEMALE_FIRST if self.rng.random() < 0.78 else _MALE_FIRST
            first, last = self.rng.choice(firsts), self.rng.choice(_LAST)
            if f"{first} {last}" not in _AVOID_NAMES:
                return first, last

    def unique_slug(self, text: str) -> str:
        base = validation.slug_base(text, "therapist")
        n = self.slug_counts.get(base, 0) + 1
        self.slug_counts[base] = n
        return base if n == 1 else f"{base}-{n}"

    def unique_tenant_slug(self, text: str) -> str:
        base = validation.slug_base(text, "practice")
        while True:
            n = self.tenant_slug_counts.get(base, 0) + 1
            self.tenant_slug_counts[base] = n
            slug = base if n == 1 else f"{base}-{n}"
            if slug not in self.taken_tenant_slugs:
                return slug

    def words(self) -> str:
        return f"{self.rng.choice(_PLACE_WORDS)} {self.rng.choice(_SECOND_WORDS)}"

    def tenant_name(self, kind: str, home: _Zip, owner: tuple[str, str] | None) -> str:
        rng = self.rng
        if kind == "practice":
            first, last = owner or self.person()
            options = (
                lambda: f"{self.words()} Massage",
                lambda: "{} & {} Bodywork".format(*rng.choice(_PAIRS)),
                lambda: f"{self.words()} Massage Therapy",
                lambda: f"{first} {last} Massage Therapy",
                lambda: f"{last} Therapeutic Massage",
                lambda: f"Bodywork by {first}",
                lambda: f"{rng.choice(_PLACE_WORDS)} Wellness Studio",
            )
        else:
            # A short city name makes a good clinic or spa name ("Hoboken Day Spa").
            city = home.city if len(home.city) <= 14 else rng.choice(_DISTRICTS)
            place = rng.choice((city, rng.choice(_DISTRICTS)))
            options = {
                "clinic": (
                    lambda: f"{place} Sports & Medical Massage Clinic",
                    lambda: f"{self.words()} Medical Massage",
                    lambda: f"{place} Clinical Massage Center",
                    lambda: f"{place} Pain Relief & Massage Clinic",
                    lambda: f"{self.words()} Therapeutic Massage & Rehab",
                ),
                "spa": (
                    lambda: f"{rng.choice(_PLACE_WORDS)} Day Spa",
                    lambda: f"{self.words()} Spa",
                    lambda: "The {} & {} Spa".format(*rng.choice(_PAIRS)),
                    lambda: f"{self.words()} Spa & Massage",
                    lambda: f"{place} Day Spa",
                ),
                "network": (
                    lambda: f"{self.words()} Massage Network",
                    lambda: f"{rng.choice(_PLACE_WORDS)} Therapeutic Massage Group",
                    lambda: f"{self.words()} Wellness Partners",
                    lambda: f"{rng.choice(_PLACE_WORDS)} Massage Collective",
                ),
            }[kind]
        return rng.choice(options)()

    # -- tenants ------------------------------------------------------------------------------

    def plan(self, count: int) -> list[tuple[str, int]]:
        """(kind, size) of every tenant, in random order, sized to the kind shares exactly."""
        rng = self.rng
        quotas = {kind: round(share * count) for kind, share in _KIND_SHARES.items()}
        quotas["practice"] += count - sum(quotas.values())
        plan = []
        for kind in ("clinic", "spa", "network"):
            low, high = _KIND_SIZES[kind]
            left = quotas[kind]
            while left >= low:
                size = min(rng.randint(low, high), left)
                if 0 < left - size < low:
                    # The rest would be too small for a tenant of this kind on its own.
                    size = left if left <= high else left - low
                plan.append((kind, size))
                left -= size
            quotas["practice"] += left
        plan += [("practice", 1)] * quotas["practice"]
        rng.shuffle(plan)
        return plan

    def tenant(self, kind: str, size: int) -> _Tenant:
        rng = self.rng
        if kind == "network":
            # Branches in several states (often one around Hoboken / New York).
            count = 3 + size // 6
            home = self.any_zip(size / count)
            branches = [self.branch(home)]
            used = {home.state}
            for _ in range(count - 1):
                zip_ = self.any_zip(size / count, avoid_states=used)
                used.add(zip_.state)
                branches.append(self.branch(zip_))
            return self.named_tenant(kind, size, branches)
        home = self.any_zip(size)
        branches = [self.branch(home)]
        if (kind == "clinic" and rng.random() < 0.25) or (kind == "spa" and rng.random() < 0.15):
            branches.append(self.branch(self.near_zip(home)))
        return self.named_tenant(kind, size, branches)

    def named_tenant(self, kind: str, size: int, branches: list[_Branch]) -> _Tenant:
        home = branches[0].zip
        owner = self.person() if kind == "practice" else None
        name = self.tenant_name(kind, home, owner)
        slug = self.unique_tenant_slug(name)
        where = f"{home.city}, {home.state}"
        # No counts: some of the staff are unpublished or unlicensed where they work, so a
        # number here would contradict the practice's own page (the page counts for itself).
        description = {
            "practice": f"An independent massage practice based in {where}.",
            "clinic": f"A clinical massage practice based in {where}.",
            "spa": f"A day spa in {where}.",
            "network": f"A network of massage practices, founded in {where}.",
        }[kind]
        return _Tenant(
            slug=slug,
            name=name,
            kind=kind,
            size=size,
            branches=branches,
            setting_weights=_KIND_SETTINGS.get(kind, ()),
            website=f"https://{slug}.example.com",
            description=description,
            phone=self.phone(home),
            owner=owner,
        )

    # -- practitioners ------------------------------------------------------------------------

    def pick(self, pool: tuple[str, ...], k: int, prefer: Iterable[str] = ()) -> list[str]:
        """k distinct slugs from pool, taking from `prefer` (in pool) first."""
        preferred = [s for s in dict.fromkeys(prefer) if s in pool]
        self.rng.shuffle(preferred)
        chosen = preferred[:k]
        rest = [s for s in pool if s not in chosen]
        chosen += self.rng.sample(rest, min(k - len(chosen), len(rest)))
        return chosen

    def recommended(self, condition_slugs: list[str]) -> list[str]:
        terms = self.vocab.conditions
        return [m for c in condition_slugs for m in terms[c].modalities]

    def therapy(self, setting: str, lymph: bool) -> tuple[list[str], list[str]]:
        """(modality slugs, condition slugs) for a therapist of this setting."""
        rng, v = self.rng, self.vocab
        if setting == "spa":
            conditions = self.pick(v.spa_conditions, rng.randint(1, 4))
            modalities = self.pick(v.spa_modalities, rng.randint(2, 5))
        elif setting == "medical":
            conditions = self.pick(v.medical_conditions, rng.randint(3, 8))
            prefer = self.recommended(conditions) if rng.random() < 0.85 else ()
            modalities = self.pick(v.medical_modalities, rng.randint(3, 7), prefer)
        else:
            conditions = self.pick(v.medical_conditions, rng.randint(1, 4))
            conditions += self.pick(
                tuple(c for c in v.spa_conditions if c not in conditions), rng.randint(1, 3)
            )
            modalities = self.pick(v.medical_modalities, rng.randint(2, 4))
            modalities += self.pick(
                tuple(m for m in v.spa_modalities if m not in modalities), rng.randint(1, 3)
            )
        # What the therapist is most known for first: headlines and bios name the first few.
        first = "spa" if setting == "spa" else "medical"
        conditions.sort(key=lambda slug: v.settings[slug] != first)
        if lymph:
            conditions = list(v.lymph_conditions) + conditions[: rng.randint(1, 3)]
            modalities = list(v.lymph_modalities[: rng.randint(1, 3)]) + modalities[:3]
        return modalities, conditions

    def licenses(self, office_states: list[str]) -> list[dict[str, Any]]:
        rng = self.rng
        states = sorted(set(office_states))
        if len(states) == 1 and rng.random() < 0.03:
            # Licensed only elsewhere (moved, or works across a state line): not listable here.
            other = {"NJ": "NY", "NY": "NJ"}.get(states[0])
            states = [other or rng.choice([s for s in self.states if s != states[0]])]
        result = []
        for state in states:
            r = rng.random()
            if r < 0.75:
                status, days = "verified", rng.randint(30, 1095)
            elif r < 0.87:
                status, days = "pending", rng.randint(30, 1095)
            elif r < 0.92:
                status, days = "rejected", rng.randint(-200, 1095)
            else:
                status, days = rng.choice(("verified", "verified", "pending")), -rng.randint(1, 400)
            result.append(
                {
                    "state": state,
                    "number": self.license_number(state),
                    "expires": (self.today + timedelta(days=days)).isoformat(),
                    "status": status,
                }
            )
        return result

    def license_number(self, state: str) -> str:
        template = _number_templates().get(state)
        if template is None:
            return "MT" + str(self.rng.randint(10_000, 999_999))
        prefix, digits = template
        return prefix + "".join(self.rng.choices("0123456789", k=digits))

    def listed_in_cluster(self, record: dict[str, Any]) -> bool:
        """Published, not suspended, and an office in the cluster that may be listed (a
        license in its state that is neither rejected nor expired): one a search there finds."""
        if not record["published"] or record["suspended"]:
            return False
        held = {lic["state"] for lic in record["licenses"]
                if license_status(lic, self.today) in ("verified", "pending")}  # fmt: skip
        return any(o["zip"] in self.cluster_codes and o["state"] in held
                   for o in record["offices"])  # fmt: skip

    def specialties(self, record: dict[str, Any], lymph: bool) -> list[dict[str, Any]]:
        """The therapist's specialty certificates in the import format. Drawn from a generator
        of their own (the rest of a seed's data stays what it was before certificates)."""
        rng = random.Random(f"specialties:{record['slug']}")
        setting = record["setting"]
        chances = _SPECIALTY_CHANCES[setting]
        held: dict[str, str] = {}  # kind -> status
        if lymph:
            held["clt"] = "verified" if rng.random() < 0.8 else "pending"
            if rng.random() < 0.4:
                held["mld"] = self.specialty_status(rng)
        if "NMT" in record["credentials"] and rng.random() < 0.6:
            held["nmt"] = self.specialty_status(rng)
        for kind, chance in chances.items():
            if kind not in held and rng.random() < chance:
                held[kind] = self.specialty_status(rng)
        if self.listed_in_cluster(record):
            # The cluster must show the routing: whoever comes along while a population's
            # specialists are short of their share becomes one (verified).
            if lymph and self.cluster_verified["clt"] < _CLUSTER_CLTS:
                held["clt"] = "verified"
            if setting != "spa":
                self.cluster_medical += 1
                for kind, share in _CLUSTER_SPECIALISTS.items():
                    short = self.cluster_verified[kind] < max(1.0, share * self.cluster_medical)
                    if short and held.get(kind) != "verified":
                        held[kind] = "verified"
                        break
            for kind, status in held.items():
                if status == "verified":
                    self.cluster_verified[kind] += 1
        return [self.certificate(rng, kind, held[kind]) for kind in sorted(held)]

    @staticmethod
    def specialty_status(rng: random.Random) -> str:
        """verified, pending, rejected or expired (a verified one whose date has passed)."""
        r = rng.random()
        if r < 0.68:
            return "verified"
        if r < 0.88:
            return "pending"
        return "rejected" if r < 0.94 else "expired"

    def certificate(self, rng: random.Random, kind: str, status: str) -> dict[str, Any]:
        issued = self.today - timedelta(days=rng.randint(400, 4000))
        if status == "expired":
            expires = self.today - timedelta(days=rng.randint(1, 300))
        elif rng.random() < 0.6:
            # Current ones run at least a month more (no badge flickers off during a demo).
            expires = self.today + timedelta(days=rng.randint(45, 1400))
        else:
            expires = None  # a certificate that does not expire
        number = f"{_CERTIFICATE_PREFIX[kind]}-{rng.randint(1000, 99999)}"
        return {
            "kind": kind,
            "issuer": rng.choice(specialties.kinds()[kind].issuers),
            "number": number if rng.random() < 0.9 else "",
            "issued": issued.isoformat(),
            "expires": expires.isoformat() if expires else None,
            "status": "verified" if status == "expired" else status,
        }

    def offices(self, tenant: _Tenant) -> list[_Branch]:
        rng = self.rng
        first = rng.choice(tenant.branches)
        offices = [first]
        if rng.random() < 0.10:
            others = [b for b in tenant.branches if b is not first]
            if others and rng.random() < 0.7:
                offices.append(rng.choice(others))
            else:
                offices.append(self.branch(self.near_zip(first.zip)))
        return offices

    def headline(self, setting: str, lymph: bool, mods: list[str], conds: list[str], city: str):
        rng = self.rng
        m = [self.vocab.phrases[s] for s in mods]
        c = [self.vocab.phrases[s] for s in conds]
        if lymph:
            options = [
                f"Certified lymphedema therapist: manual lymphatic drainage in {city}",
                "Post-surgical swelling and lymphedema care with manual lymphatic drainage",
            ]
        elif setting == "medical":
            options = [
                f"{_capitalized(m[0])} for {_listing(c[:2])}",
                f"Medical massage for {_listing(c[:3])} in {city}",
                f"Clinical massage therapist: {_listing(m[:2])}",
                f"Recovery from {_listing(c[:2])} in {city}",
            ]
        elif setting == "spa":
            options = [
                f"Relaxing {_listing(m[:2])} in {city}",
                f"{_capitalized(_listing(m[:2]))} for {c[0]}",
                f"Unwind with {m[0]} in {city}",
            ]
        else:
            options = [
                f"From {c[0]} to deep relaxation: {m[0]} in {city}",
                f"{_capitalized(m[0])} and {m[-1]}, clinical or relaxing",
            ]
        fitting = [o for o in options if len(o) <= 160] or [f"Massage therapist in {city}"]
        return rng.choice(fitting)

    def bio(self, record: dict, first: str, lymph: bool, tenant: _Tenant, office: _Zip) -> str:
        rng = self.rng
        phrases, settings = self.vocab.phrases, self.vocab.settings
        mods = [phrases[s] for s in record["modalities"]]
        conds = [phrases[s] for s in record["conditions"]]
        where = f"{office.city}, {office.state}"
        years = rng.randint(2, 25)
        since = self.today.year - years
        sentences = [
            rng.choice(
                (
                    f"{first} is a licensed massage therapist in {where} with {years} years "
                    "of experience.",
                    f"{first} has practised massage in {office.city} since {since}.",
                    f"Based in {where}, {first} has been a massage therapist for {years} years.",
                )
            )
        ]
        setting = record["setting"]
        if lymph:
            sentences.append(
                f"{first} is a certified lymphedema therapist who works with "
                f"{_listing(conds[:3])}, using {_listing(mods[:2])}."
            )
        elif setting == "medical":
            sentences.append(
                f"{first} works mostly with clients dealing with {_listing(conds[:3])}, "
                f"using {_listing(mods[:3])}."
            )
        elif setting == "spa":
            sentences.append(f"Sessions focus on {_listing(conds[:2])}, with {_listing(mods[:3])}.")
        else:
            relaxing = [phrases[m] for m in record["modalities"] if settings[m] == "spa"]
            sentences.append(
                f"{first} offers both clinical work for {_listing(conds[:2])} and relaxing "
                f"{_listing(relaxing[:2] or mods[-1:])}."
            )
        extras = []
        if record["accepts_physician_referrals"]:
            extras.append("Physician referrals are welcome.")
        if record["hsa_fsa"]:
            extras.append("HSA and FSA cards are accepted.")
        if record["in_home"]:
            extras.append(f"Home visits are available around {office.city}.")
        if record["languages"]:
            extras.append(f"Sessions are also offered in {_listing(record['languages'])}.")
        if tenant.kind != "practice":
            extras.append(f"Part of the team at {tenant.name}.")
        rng.shuffle(extras)
        sentences += extras[: rng.randint(0, 2)]
        return " ".join(sentences)

    def setting(self, tenant: _Tenant) -> str:
        weights = tenant.setting_weights
        if not weights:
            # Solo practitioners lean towards whatever setting is short of its overall share so
            # far, which keeps even a small demo near 40/35/25 despite clinics and spas.
            placed = sum(self.setting_counts.values()) + 1
            weights = tuple(
                max(0.05, share * placed - self.setting_counts[s])
                for s, share in _SETTING_SHARES.items()
            )
        setting = self.rng.choices(_SETTINGS, weights=weights)[0]
        self.setting_counts[setting] += 1
        return setting

    def practitioner(self, tenant: _Tenant) -> dict[str, Any]:
        rng = self.rng
        first, last = tenant.owner or self.person()
        name = f"{first} {last}"
        slug = self.unique_slug(name)
        setting = self.setting(tenant)
        lymph = setting == "medical" and bool(self.vocab.lymph_conditions) and rng.random() < 0.05
        modalities, conditions = self.therapy(setting, lymph)
        offices = self.offices(tenant)
        home = offices[0].zip

        credentials = _STATE_CREDENTIAL.get(home.state, "LMT")
        if lymph:
            credentials += ", CLT"
        elif setting == "medical" and rng.random() < 0.25:
            credentials += rng.choice((", NMT", ", NMT", ", MMP"))
        elif setting == "both" and rng.random() < 0.1:
            credentials += ", NMT"

        medical = setting != "spa"
        languages: list[str] = []
        spanish_area = home.state in ("NJ", "NY", "FL", "TX", "CA", "AZ", "NM", "PR")
        if home.state == "PR":
            languages = ["Spanish"]
        elif rng.random() < (0.3 if spanish_area else 0.15):
            languages = sorted(
                set(rng.choices(self.language_names, self.language_weights, k=rng.randint(1, 2)))
            )
        price_min = rng.randrange(70, 171, 5) if medical else rng.randrange(85, 181, 5)
        price_max = min(220, price_min + rng.randrange(0, 81, 5))
        lengths = {60}
        for minutes, chance in ((30, 0.35 if medical else 0.1), (75, 0.3), (90, 0.6)):
            if rng.random() < chance:
                lengths.add(minutes)
        if not medical and rng.random() < 0.3:
            lengths.add(120)
        if setting == "medical":
            referrals, hsa = rng.random() < 0.85, rng.random() < 0.7
        elif setting == "both":
            referrals, hsa = rng.random() < 0.5, rng.random() < 0.45
        else:
            referrals, hsa = rng.random() < 0.03, rng.random() < 0.1
        insurance_chance = {"medical": 0.8, "both": 0.3}.get(setting, 0.0)
        insurance = rng.choice(_INSURANCE_NOTES) if rng.random() < insurance_chance else ""

        if tenant.kind == "practice":
            website = tenant.website
        else:
            website = f"https://{slug}.example.com" if rng.random() < 0.25 else ""
        suspended = rng.random() < 0.01
        record: dict[str, Any] = {
            "slug": slug,
            "tenant": tenant.slug,
            "tenant_name": tenant.name,
            "tenant_kind": tenant.kind,
            "name": name,
            "credentials": credentials,
            "email": f"{slug.replace('-', '.')}@{rng.choice(_EMAIL_DOMAINS)}",
            # Some show their address; the others are reached through the form. (From the
            # slug, not the generator: the rest of the data stays as it was.)
            "show_email": zlib.crc32(slug.encode()) % 4 == 0,
            "phone": tenant.phone,
            "website": website,
            "setting": setting,
            "headline": "",
            "bio": "",
            "published": rng.random() >= 0.05,
            "accepting_new_clients": rng.random() < 0.85,
            "in_home": rng.random() < (0.08 if medical else 0.15),
            "languages": languages,
            "price_min": price_min,
            "price_max": price_max,
            "session_lengths": sorted(lengths),
            "insurance_notes": insurance,
            "accepts_physician_referrals": referrals,
            "hsa_fsa": hsa,
            "modalities": modalities,
            "conditions": conditions,
            "licenses": self.licenses([o.zip.state for o in offices]),
            "offices": [
                {"street": o.street, "city": o.zip.city, "state": o.zip.state, "zip": o.zip.code}
                for o in offices
            ],
            # Beyond the import format:
            "suspended": suspended,
            "suspended_reason": rng.choice(_SUSPENSION_REASONS) if suspended else None,
            "tenant_website": tenant.website,
            "tenant_description": tenant.description,
        }
        record["headline"] = self.headline(setting, lymph, modalities, conditions, home.city)
        record["bio"] = self.bio(record, first, lymph, tenant, home)
        # Those who speak Spanish write a Spanish headline too (shown to Spanish readers); the
        # bio stays English, as most real profiles would.
        record["headline_es"] = (
            _spanish_headline(setting, conditions, home.city) if "Spanish" in languages else ""
        )
        record["bio_es"] = ""
        # About half show their gender; drawn from the slug, so the rest of a seed's output is
        # what it was before profiles had a gender.
        own = random.Random(slug)
        shown = own.random() < 0.5
        record["gender"] = ("woman" if first in _FEMALE_SET else "man") if shown else ""
        # When they last said whether they accept new clients: most within three months.
        record["confirmed_days_ago"] = own.randrange(0, 150)
        # A few have a photo: a drawn portrait (a silhouette on their colours), never a person.
        record["portrait"] = own.random() < PORTRAIT_SHARE
        # Some take bookings online, on a page of their own.
        books = own.random() < 0.3
        record["booking_url"] = f"https://book.example.com/{slug}" if books else ""
        record["specialties"] = self.specialties(record, lymph)
        return record


def generate(
    count: int, seed: int, today: date, *, taken_tenant_slugs: Iterable[str] = ()
) -> Iterator[dict[str, Any]]:
    """Yield `count` demo practitioner records; the same arguments always yield the same records.

    Records use the import format (DESIGN.md) with vocabulary slugs, plus `suspended`,
    `suspended_reason`, `tenant_website` and `tenant_description`. License and certificate
    dates are relative to `today`. Tenant slugs in `taken_tenant_slugs` are not used.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    gen = _Generator(random.Random(seed), today, frozenset(taken_tenant_slugs))
    for kind, size in gen.plan(count):
        tenant = gen.tenant(kind, size)
        for _ in range(size):
            yield gen.practitioner(tenant)


def license_status(lic: dict[str, Any], today: date) -> str:
    """The status a generated license shows (licensing's one rule)."""
    return licensing.status_of(lic["status"], date.fromisoformat(lic["expires"]), today)


def specialty_status(certificate: dict[str, Any], today: date) -> str:
    """The status a generated specialty certificate shows (the same rule as a license's)."""
    expires = certificate["expires"]
    return licensing.status_of(
        certificate["status"], date.fromisoformat(expires) if expires else None, today
    )


@dataclass
class LoadSummary:
    practitioners: int = 0
    tenants: Counter = field(default_factory=Counter)
    settings: Counter = field(default_factory=Counter)
    licenses: Counter = field(default_factory=Counter)
    specialties: Counter = field(default_factory=Counter)
    offices: int = 0

    def describe(self) -> str:
        def counts(counter: Counter, labels: Iterable[str]) -> str:
            return ", ".join(f"{counter[k]} {label}" for k, label in labels)

        kinds = (("practice", "solo"), ("clinic", "clinic"), ("spa", "spa"), ("network", "network"))
        return (
            f"{sum(self.tenants.values())} practices ({counts(self.tenants, kinds)}); "
            f"{self.practitioners} practitioners "
            f"({counts(self.settings, ((s, s) for s in _SETTINGS))}); "
            f"{sum(self.licenses.values())} licenses ("
            f"{counts(self.licenses, ((s, s) for s in _LICENSE_STATES))}); "
            f"{sum(self.specialties.values())} specialty certificates ("
            f"{counts(self.specialties, ((s, s) for s in _LICENSE_STATES))}); "
            f"{self.offices} offices"
        )


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _advance_sequences(models) -> None:
    # Rows were inserted with explicit ids; PostgreSQL's sequences must move past them or the
    # next ordinary insert collides. SQLite takes max(rowid) + 1 by itself.
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        # Quoted: "user" is a reserved word (unquoted, FROM user reads the current role).
        name = f'"{model.__tablename__}"'
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
            )
        )


def _spanish_headline(setting: str, conditions: list[str], city: str) -> str:
    """A demo headline in Spanish, naming the first condition as the vocabulary says it."""
    term = vocabulary.terms()[conditions[0]] if conditions else None
    need = (term.spanish.name if term and term.spanish else "").lower()
    kind = {"medical": "Masaje terapéutico", "spa": "Masaje relajante"}.get(
        setting, "Masaje terapéutico y relajante"
    )
    headline = f"{kind} para {need} en {city}" if need else f"{kind} en {city}"
    return headline if len(headline) <= 160 else f"{kind} en {city}"


#: Every demo practice has an owner who can sign in (to read its messages, edit its profiles):
#: owner@<practice slug>.demo.example with this password. Demo data is for trying the product.
DEMO_OWNER_PASSWORD = "try-the-demo-2026"


def demo_owner_email(tenant_slug: str) -> str:
    return f"owner@{tenant_slug}.demo.example"


#: Pending demo certificates that get a generated document (a few are enough to try the queue).
DEMO_DOCUMENTS = 25


def _demo_document(record: dict[str, Any], certificate: dict[str, Any], left: list[int]):
    """A PNG of a demo certificate for a pending record while `left[0]` lasts, else None."""
    if certificate["status"] != "pending" or left[0] <= 0:
        return None
    left[0] -= 1
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 560), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 887, 547), outline=(29, 79, 133), width=6)
    lines = [
        "DEMO CERTIFICATE - generated test data, not a real credential",
        "",
        vocabulary.specialties()[certificate["kind"]].name,
        f"awarded to {record['name']}",
        f"by {certificate['issuer']}",
        f"Certificate number {certificate['number']}",
        f"Issued {certificate['issued']}"
        + (f", expires {certificate['expires']}" if certificate["expires"] else ""),
    ]
    for i, line in enumerate(lines):
        draw.text((60, 70 + 55 * i), line, fill=(20, 30, 40), font_size=30 if i == 2 else 22)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return documents.keep(out.getvalue(), "png")


def insert_records(
    records: Iterable[dict[str, Any]],
    today: date,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> LoadSummary:
    """Bulk-insert generated records (tenants, practitioners, licenses, specialty certificates,
    offices, vocabulary links, search outbox rows) into the session's transaction; the caller
    commits."""
    now = now_utc()
    condition_ids = dict(db.session.execute(select(Condition.slug, Condition.id)).all())
    modality_ids = dict(db.session.execute(select(Modality.slug, Modality.id)).all())
    models = (Tenant, Practitioner, License, Specialty, Office, User, Membership)
    ids = {model: _next_id(model) for model in models}
    # One hash for every demo owner: hashing hundreds of times would take minutes.
    owner_hash = passwords.hash_password(DEMO_OWNER_PASSWORD)
    tenant_ids: dict[str, int] = {}
    summary = LoadSummary()
    rows: dict[Any, list[dict[str, Any]]] = {}
    documents_left = [DEMO_DOCUMENTS]

    def add(table, row: dict[str, Any]) -> None:
        rows.setdefault(table, []).append(row)

    def new_id(model) -> int:
        value = ids[model]
        ids[model] = value + 1
        return value

    def flush(done: int) -> None:
        for table in (
            Tenant.__table__,
            User.__table__,
            Membership.__table__,
            Practitioner.__table__,
            License.__table__,
            Specialty.__table__,
            Office.__table__,
            practitioner_condition,
            practitioner_modality,
        ):
            if rows.get(table):
                db.session.execute(insert(table), rows[table])
        outbox.enqueue(row["id"] for row in rows.get(Practitioner.__table__, ()))
        rows.clear()
        if progress is not None:
            progress(done)

    pending = 0
    for record in records:
        tenant_id = tenant_ids.get(record["tenant"])
        if tenant_id is None:
            tenant_id = tenant_ids[record["tenant"]] = new_id(Tenant)
            summary.tenants[record["tenant_kind"]] += 1
            add(
                Tenant.__table__,
                {
                    "id": tenant_id,
                    "slug": record["tenant"],
                    "name": record["tenant_name"],
                    "kind": record["tenant_kind"],
                    "website": record["tenant_website"],
                    "description": record["tenant_description"],
                    "status": "active",
                    "status_reason": None,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            owner_id = new_id(User)
            add(
                User.__table__,
                {
                    "id": owner_id,
                    "email": demo_owner_email(record["tenant"]),
                    "name": f"Owner of {record['tenant_name']}"[:120],
                    "password_hash": owner_hash,
                    "is_admin": False,
                    "session_version": 1,
                    "email_verified_at": now,
                    "created_at": now,
                },
            )
            add(
                Membership.__table__,
                {
                    "id": new_id(Membership),
                    "user_id": owner_id,
                    "tenant_id": tenant_id,
                    "role": "owner",
                    "created_at": now,
                },
            )
        pid = new_id(Practitioner)
        add(
            Practitioner.__table__,
            {
                # The profile's fields by the field table, under their import-format keys;
                # the other columns take their model defaults.
                **{f.name: record[f.io_key] for f in fields.FIELDS},
                "id": pid,
                "tenant_id": tenant_id,
                "slug": record["slug"],
                "suspended": record["suspended"],
                "suspended_reason": record["suspended_reason"],
                "accepting_confirmed_at": now - timedelta(days=record["confirmed_days_ago"]),
                "photo": _portrait(record["slug"]) if record["portrait"] else None,
                "created_at": now,
                "updated_at": now,
            },
        )
        summary.practitioners += 1
        summary.settings[record["setting"]] += 1
        for lic in record["licenses"]:
            reviewed = lic["status"] != "pending"
            add(
                License.__table__,
                {
                    "id": new_id(License),
                    "practitioner_id": pid,
                    "state": lic["state"],
                    "number": lic["number"],
                    "expires_on": date.fromisoformat(lic["expires"]),
                    "status": lic["status"],
                    "reviewer_id": None,
                    "reviewed_at": now if reviewed else None,
                    "note": _REJECTION_NOTE if lic["status"] == "rejected" else None,
                    # Demo verifications are our staff's (no roster file stands behind them).
                    "check_method": "staff" if lic["status"] == "verified" else None,
                    "checked_on": today if lic["status"] == "verified" else None,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            summary.licenses[license_status(lic, today)] += 1
        for certificate in record["specialties"]:
            expires = certificate["expires"]
            add(
                Specialty.__table__,
                {
                    "id": new_id(Specialty),
                    "practitioner_id": pid,
                    "kind": certificate["kind"],
                    "issuer": certificate["issuer"],
                    "number": certificate["number"],
                    "issued_on": date.fromisoformat(certificate["issued"]),
                    "expires_on": date.fromisoformat(expires) if expires else None,
                    # Staff-checked in the demo: no uploaded document (see the module's note).
                    "document": _demo_document(record, certificate, documents_left),
                    "status": certificate["status"],
                    "reviewer_id": None,
                    "reviewed_at": now if certificate["status"] != "pending" else None,
                    "note": _SPECIALTY_REJECTION_NOTE
                    if certificate["status"] == "rejected"
                    else None,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            summary.specialties[specialty_status(certificate, today)] += 1
        for office in record["offices"]:
            # Placed as the editor places an office (the same check, the same coordinates).
            place = operations.locate_office(
                city=office["city"], state=office["state"], zip=office["zip"]
            )
            add(
                Office.__table__,
                {"id": new_id(Office), "practitioner_id": pid, "street": office["street"], **place},
            )
            summary.offices += 1
        for slug in record["conditions"]:
            add(
                practitioner_condition,
                {"practitioner_id": pid, "condition_id": condition_ids[slug]},
            )
        for slug in record["modalities"]:
            add(practitioner_modality, {"practitioner_id": pid, "modality_id": modality_ids[slug]})
        pending += 1
        if pending == batch_size:
            flush(pending)
            pending = 0
    flush(pending)
    _advance_sequences(models)
    return summary


@demo_cli.command("load")
@click.option(
    "--count",
    default=300,
    show_default=True,
    type=click.IntRange(1, MAX_COUNT),
    help="How many practitioners to create.",
)
@click.option("--seed", default=42, show_default=True, type=int, help="Random seed.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (successfully) when the directory already has practitioners.",
)
def load(count: int, seed: int, if_empty: bool) -> None:
    """Load deterministic, realistic demo practitioners into an empty directory."""
    started = time.perf_counter()
    with writing():
        existing = db.session.scalar(select(func.count()).select_from(Practitioner)) or 0
        if existing:
            db.session.rollback()
            message = f"Database already has {existing} practitioner(s); demo data not loaded."
            if if_empty:
                click.echo(message)
                return
            raise click.ClickException(
                f"{message} Demo data only goes into an empty directory "
                "(--if-empty skips this without an error)."
            )
        vocabulary.sync()
        today = licensing.today()
        records = generate(
            count, seed, today, taken_tenant_slugs=db.session.scalars(select(Tenant.slug)).all()
        )
        try:
            with click.progressbar(length=count, label="Loading demo practitioners") as bar:
                summary = insert_records(records, today, progress=bar.update)
            audit.record(
                "demo.load",
                actor_label="cli:demo",
                details={"count": count, "seed": seed, "tenants": sum(summary.tenants.values())},
            )
            db.session.commit()
        except BaseException:
            # All or nothing: an interrupted load must not leave half a demo behind.
            db.session.rollback()
            raise
    elapsed = time.perf_counter() - started
    click.echo(f"Loaded {summary.describe()} in {elapsed:.1f} s (seed {seed}).")
