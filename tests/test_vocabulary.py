"""The vocabulary data file, its lookups and its tables."""

import pytest
from sqlalchemy import func, select

from directory import vocabulary
from directory.db import db
from directory.vocabulary import Condition, Modality


def test_data_file_is_big_enough_and_consistent():
    conditions, modalities = vocabulary.conditions(), vocabulary.modalities()
    assert len(conditions) >= 50
    assert len(modalities) >= 30
    slugs = {t.slug for t in modalities}
    for term in conditions:
        assert term.setting in ("medical", "spa", "either")
        assert set(term.modalities) <= slugs, term.slug
    for term in modalities:
        assert term.setting in ("medical", "spa", "either")
    vocabulary._phrase_index()  # raises if one phrase names two entries


@pytest.mark.parametrize(
    ("text", "slug_part"),
    [
        ("Slipped-Disc", "herniated"),
        ("slipped disc", "herniated"),
        ("adhesive capsulitis", "frozen-shoulder"),
        ("Lateral Epicondylitis", "tennis-elbow"),
        ("sciatica", "sciatica"),
        ("SCIATICA!", "sciatica"),
        ("sciatia", "sciatica"),  # a known misspelling
        ("plantar fasciitis", "plantar-fasciitis"),
        ("carpal tunnel", "carpal-tunnel"),
        ("TMJ", "tmj"),
        ("fibromyalgia", "fibromyalgia"),
        ("whiplash", "whiplash"),
        ("piriformis syndrome", "piriformis"),
        ("thoracic outlet syndrome", "thoracic-outlet"),
        ("rotator cuff injury", "rotator-cuff"),
        ("shin splints", "shin-splints"),
        ("IT band syndrome", "it-band"),
        ("lymphedema", "lymphedema"),
        ("restless legs", "restless-legs"),
        ("golfer's elbow", "golfers-elbow"),
    ],
)
def test_condition_lookup_ignores_case_hyphens_and_punctuation(text, slug_part):
    term = vocabulary.lookup(text, "condition")
    assert term is not None, text
    assert slug_part in term.slug


@pytest.mark.parametrize(
    ("text", "slug_part"),
    [
        ("Swedish", "swedish"),
        ("hot stone", "hot-stone"),
        ("aromatherapy", "aromatherapy"),
        ("couples massage", "couples"),
        ("prenatal massage", "prenatal"),
        ("sports massage", "sports"),
        ("Thai massage", "thai"),
        ("shiatsu", "shiatsu"),
        ("reflexology", "reflexology"),
        ("craniosacral therapy", "craniosacral"),
        ("cupping", "cupping"),
        ("MLD", "lymphatic"),
        ("lymph drainage", "lymphatic"),
        ("orthopedic massage", "medical"),
        ("Active Release", "active-release"),
        ("IASTM", "iastm"),
        ("myofascial release", "myofascial"),
        ("PNF stretching", "pnf"),
        ("neuromuscular therapy", "neuromuscular"),
        ("trigger point therapy", "trigger-point"),
        ("deep tissue", "deep-tissue"),
        ("deep tisue", "deep-tissue"),
    ],
)
def test_modality_lookup(text, slug_part):
    term = vocabulary.lookup(text, "modality")
    assert term is not None, text
    assert slug_part in term.slug


def test_lookup_respects_kind_and_unknowns():
    assert vocabulary.lookup("sciatica", "modality") is None
    assert vocabulary.lookup("basket weaving") is None
    assert vocabulary.lookup("") is None
    assert vocabulary.lookup("\x00\x01") is None


def test_settings_follow_the_domain():
    assert vocabulary.lookup("sciatica").setting == "medical"
    assert vocabulary.lookup("herniated disc").setting == "medical"
    assert vocabulary.lookup("swedish massage").setting == "spa"
    assert vocabulary.lookup("hot stone").setting == "spa"
    assert vocabulary.lookup("lymph drainage").setting == "medical"


def test_normalize():
    assert vocabulary.normalize("  Golfer\u2019s-Elbow!! ") == "golfers elbow"
    assert vocabulary.normalize("Café  Crème") == "cafe creme"


def test_sync_loads_the_tables_and_is_idempotent(app):
    counts = (
        db.session.scalar(select(func.count()).select_from(Condition)),
        db.session.scalar(select(func.count()).select_from(Modality)),
    )
    assert counts == (len(vocabulary.conditions()), len(vocabulary.modalities()))
    assert vocabulary.sync() == (0, 0)
    row = db.session.scalar(select(Condition).where(Condition.slug == "sciatica"))
    row.name = "Old name"
    db.session.flush()
    assert vocabulary.sync() == (0, 1)
    assert row.name == "Sciatica"


def test_sync_reindexes_the_profiles_of_an_entry_whose_text_changed(app, make_practitioner):
    from datetime import date, timedelta

    from directory.search import sync as search_sync
    from tests.conftest import tag

    later = date.today() + timedelta(days=365)
    tag(
        make_practitioner("alexa-marie", licenses=[("NJ", "verified", later)], offices=["07030"]),
        conditions=["sciatica"],
    )
    other = make_practitioner("bo-chen", licenses=[("NJ", "verified", later)], offices=["07030"])
    tag(other, conditions=["stress"])
    # The database holds an older text of the entry, and the index was built from it.
    row = db.session.scalar(select(Condition).where(Condition.slug == "sciatica"))
    row.synonyms = [*row.synonyms, "zygomorph"]
    db.session.commit()
    search_sync.rebuild()
    client = app.test_client()

    def found() -> int:
        query = {"q": "zygomorph", "near": "07030"}
        return client.get("/api/v1/search", query_string=query).json["total"]

    assert found() == 1
    assert vocabulary.sync() == (0, 1)
    db.session.commit()
    assert search_sync.pending() == 1  # sciatica's one profile, not everyone's
    assert found() == 0  # the index follows the vocabulary


def test_the_interpreters_word_lists_live_in_the_data_file():
    from directory import interpret, licensing

    words = vocabulary.words()
    assert set(words) == {
        "stopwords", "pain_cues", "clinical_cues", "spa_cues", "cue_pairs", "common_words",
        "wordlike_abbreviations", "any_case_abbreviations", "everyday_endings",
        "sound_alike_first_letters", "body_parts", "body_pain_words", "body_tight_words",
        "body_link_words", "not_place_first", "not_place_words", "proper_words",
        "place_prepositions", "negators", "negation_between",
    }  # fmt: skip
    for name, values in words.items():
        assert values, name
        flat = [v for pair in values for v in pair] if name == "cue_pairs" else values
        assert all(v == v.lower() and v.strip() == v for v in flat), name
    assert not set(words["pain_cues"]) & set(words["spa_cues"])
    assert frozenset(words["stopwords"]) == interpret._STOPWORDS
    # One list of states: the interpreter's are the license rules' jurisdictions.
    assert frozenset(licensing.states()) == interpret._US_STATES


def test_every_medical_condition_carries_icd10_codes_whose_descriptions_resolve_to_it():
    """Each code is real, its description is the official one (simple-icd-10-cm), and the need
    interpreter reads that description, and the code itself, as the condition."""
    import warnings

    from directory.interpret import interpret

    with warnings.catch_warnings():  # 1.5 reads its data with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm

    owner: dict[str, str] = {}
    for term in vocabulary.conditions():
        if term.setting == "medical":
            assert term.icd10, f"{term.slug} has no ICD-10-CM code"
        for code, description in term.icd10:
            assert cm.is_valid_item(code), (term.slug, code)
            assert cm.get_description(code) == description, (term.slug, code)
            assert owner.setdefault(description, term.slug) == term.slug, description
            assert term.slug in interpret(description).conditions, (term.slug, description)
            assert term.slug in interpret(f"referred for {code}").conditions, (term.slug, code)


def test_parent_icd10_codes_are_real_and_stand_for_the_conditions_under_them():
    """A parent code the interpreter reads ("M54.1", "M54") is a real ICD-10-CM code, an
    ancestor of a code of each condition it stands for and of none of the others; a category
    (three characters) stands only for a family of two conditions or more."""
    import warnings

    from directory.interpret import icd10_parents

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm

    parents = icd10_parents()
    assert {"M54.1", "M54.5", "M54"} <= set(parents)
    for parent, slugs in parents.items():
        assert cm.is_valid_item(parent), parent
        under = {
            term.slug
            for term in vocabulary.conditions()
            for code, _ in term.icd10
            if parent in cm.get_ancestors(code)
        }
        assert set(slugs) == under, parent
        assert "." in parent or len(slugs) > 1, parent


# -- Spanish (data/vocabulary-es.json) ---------------------------------------------------------


def test_every_entry_and_population_is_named_in_spanish():
    spanish = vocabulary._spanish()
    for term in vocabulary.terms().values():
        assert term.spanish is not None, term.slug
        assert term.spanish.name and (term.spanish.synonyms or term.spanish.lay_terms), term.slug
        assert term.spanish.misspellings, term.slug  # the typos people make in Spanish
    assert set(spanish["red_flag_signs"]) == {t.slug for t in vocabulary.red_flags()}
    assert set(spanish["population_signs"]) == {p.slug for p in vocabulary.populations()}
    for population in vocabulary.populations():
        english = next(p for p in vocabulary._data()["populations"] if p["slug"] == population.slug)
        assert len(population.signs) > len(english["signs"]), population.slug


def test_every_description_and_advice_a_page_shows_is_said_in_spanish(app):
    """A landing page shows its need's description (a modality) or advice (a condition): a
    Spanish reader reads it in Spanish, from vocabulary-es.json or the catalogue."""
    from flask_babel import force_locale

    from directory.locales import term_text

    shown = [t for t in vocabulary.terms().values() if t.kind != "red_flag" and t.text]
    assert sum(t.kind == "modality" for t in shown) >= 40
    with app.test_request_context("/"), force_locale("es_US"):
        english = [t.slug for t in shown if term_text(t.slug) == t.text]
    assert not english, f"shown in English to Spanish readers: {english}"
    with app.test_request_context("/"):
        assert term_text("swedish-massage") == vocabulary.terms()["swedish-massage"].text


def test_spanish_word_lists_are_spelt_as_needs_are_read_and_join_the_english():
    for name, values in vocabulary._spanish()["words"].items():
        flat = [v for pair in values for v in pair[:1]] if name == "cue_pairs" else values
        assert all(vocabulary.normalize(v) == v for v in flat), name  # no accents: folded
    words = vocabulary.words()
    assert {"de", "la", "the", "masaje", "massage"} <= set(words["stopwords"])
    assert {"dolor", "pain"} <= set(words["pain_cues"])
    assert {"espalda", "back"} <= set(words["body_parts"])


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Ciática", "sciatica"),
        ("ciatica", "sciatica"),  # accents are optional
        ("CIÁTICA", "sciatica"),
        ("siática", "sciatica"),  # a known misspelling
        ("hernia de disco", "herniated-disc"),
        ("disco salido", "herniated-disc"),
        ("túnel carpiano", "carpal-tunnel-syndrome"),
        ("tunel carpiano", "carpal-tunnel-syndrome"),
        ("hombro congelado", "frozen-shoulder"),
        ("fascitis plantar", "plantar-fasciitis"),
        ("migraña", "migraine"),
        ("migrana", "migraine"),
        ("drenaje linfático", "manual-lymphatic-drainage"),
        ("masaje de tejido profundo", "deep-tissue-massage"),
        ("dolor en el pecho", "chest-pain-or-breathlessness"),
    ],
)
def test_spanish_names_are_looked_up_with_or_without_accents(text, slug):
    assert vocabulary.lookup(text).slug == slug


def test_spanish_names_are_not_stored_as_english_synonyms(app):
    # The tables (and the search index built from them) keep the English wording; Spanish is
    # read from needs only.
    vocabulary.sync()
    row = db.session.scalar(select(Condition).where(Condition.slug == "sciatica"))
    assert row.name == "Sciatica" and "ciática" not in row.synonyms


def _vocabulary_rows() -> list[list[dict]]:
    return [
        [dict(row) for row in db.session.execute(select(t).order_by(t.c.id)).mappings()]
        for t in (Condition.__table__, Modality.__table__)
    ]


@pytest.mark.parametrize("change", ["rename", "delete", "add", "add and take back"])
def test_the_next_world_starts_from_the_vocabulary_whatever_a_test_did_to_it(app, change):
    """The suite's reset between tests (conftest._prepare_database) keeps the vocabulary's rows
    on PostgreSQL when nothing wrote them: a change of any kind must still be undone, down to
    the id the next new entry gets."""
    from tests.conftest import _prepare_database

    fresh = _vocabulary_rows()
    first = db.session.scalars(select(Modality).order_by(Modality.id)).first()
    if change == "rename":
        first.name = "Renamed by a test"
    elif change == "delete":
        db.session.delete(first)
    else:
        db.session.add(Modality(slug="added-by-a-test", name="Added", setting="spa"))
    db.session.commit()
    if change == "add and take back":
        db.session.execute(db.delete(Modality).where(Modality.slug == "added-by-a-test"))
        db.session.commit()
    assert change == "add and take back" or _vocabulary_rows() != fresh
    db.session.remove()

    _prepare_database(with_vocabulary=True)
    assert _vocabulary_rows() == fresh
    added = Modality(slug="added-after-the-reset", name="Added", setting="spa")
    db.session.add(added)
    db.session.commit()
    assert added.id == max(row["id"] for row in fresh[1]) + 1
