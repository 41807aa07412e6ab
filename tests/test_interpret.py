"""Need interpretation: free text -> conditions, modalities, setting, suggestion, place."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory import interpret as interpret_module
from directory import vocabulary
from directory.interpret import MAX_NEED_LENGTH, Interpretation, interpret

# The relevance test set of DOMAIN.md section C: (query, a slug it must name, setting).
# M rows must read as medical and S rows as spa. E rows ("either") assert what we produce:
# None where only "either" entries match, medical where a medical condition or pain word shows.
# Rows 26-28 name no condition in their words (DOMAIN.md's "relaxation" is the goal behind
# them); the modality they name is what we assert.
DOMAIN_QUERIES = [
    ("lower back pain from sitting at desk all day", "lower-back-pain", "medical"),
    ("slipped disc in my lower back", "herniated-disc", "medical"),
    ("shooting pain down back of my leg", "sciatica", "medical"),
    ("butt pain worse after long drives", "piriformis-syndrome", "medical"),
    ("can't lift my arm above my head for months", "frozen-shoulder", "medical"),
    ("heel pain on first steps in the morning", "plantar-fasciitis", "medical"),
    ("numb fingers when typing", "carpal-tunnel-syndrome", "medical"),
    ("jaw clicking and clenching at night", "tmj-disorder", "medical"),
    ("neck stiff after car accident", "whiplash", "medical"),
    ("pitcher with sore shoulder", "rotator-cuff-injury", "medical"),
    ("outside of elbow hurts when gripping", "tennis-elbow", "medical"),
    ("swelling after liposuction", "post-surgical-swelling", "medical"),
    ("post-surgery lymph drainage after tummy tuck", "post-surgical-swelling", "medical"),
    ("arm swelling after breast cancer surgery", "lymphedema", "medical"),
    ("fibromyalgia, need very gentle touch", "fibromyalgia", "medical"),
    ("tension headaches every afternoon", "tension-headache", None),  # E: either condition
    ("tingling in hands when arms are raised", "thoracic-outlet-syndrome", "medical"),
    ("shin pain from running", "shin-splints", "medical"),
    ("legs tight before my marathon", "sports-recovery", None),  # E: either condition
    ("knots in my shoulders, like really deep pressure", "muscle-tension", None),  # E
    ("28 weeks pregnant, lower back aching", "pregnancy-discomfort", "medical"),  # E: back pain
    ("arthritis in my mom's hands", "osteoarthritis", None),  # E: either condition
    ("panic attacks, want something calming", "anxiety", None),  # E: "calming" is the phrase
    ("can't sleep, stressed from work", "insomnia", "spa"),
    ("relaxing gift massage for my wife", "relaxation", "spa"),
    ("couples massage for our anniversary", "couples-massage", "spa"),
    ("hot stone massage near Hoboken", "hot-stone-massage", "spa"),
    ("stretchy massage on a mat", "thai-massage", None),  # E: either modality
    ("restless legs at night", "restless-legs-syndrome", None),  # E: either condition
    ("scar tissue tight after knee replacement", "scar-tissue", "medical"),
]


def named(result: Interpretation) -> tuple[str, ...]:
    return result.conditions + result.modalities + result.red_flags


def test_domain_table_is_complete():
    assert len(DOMAIN_QUERIES) == 30
    slugs = vocabulary.terms()
    assert all(slug in slugs for _, slug, _ in DOMAIN_QUERIES)


@pytest.mark.parametrize(("query", "slug", "setting"), DOMAIN_QUERIES)
def test_domain_queries(query, slug, setting):
    result = interpret(query)
    assert slug in named(result)
    assert result.setting == setting
    assert result.suggestion is None


@pytest.mark.parametrize(
    ("query", "conditions", "modalities", "setting"),
    [
        ("my lower back hurts after sitting all day", ["lower-back-pain"], [], "medical"),
        ("relaxing gift", ["relaxation"], [], "spa"),
        ("slipped disc", ["herniated-disc"], [], "medical"),
        ("Slipped-Disc!", ["herniated-disc"], [], "medical"),
        ("frozen shoulder", ["frozen-shoulder"], [], "medical"),
        ("frozen shoulders", ["frozen-shoulder"], [], "medical"),  # plural, no suggestion
        ("adhesive capsulitis", ["frozen-shoulder"], [], "medical"),
        ("tennis elbow from gardening", ["tennis-elbow"], [], "medical"),
        ("TMJ", ["tmj-disorder"], [], "medical"),
        ("tmj and headaches", ["tmj-disorder", "tension-headache"], [], "medical"),
        ("I have RA in my hands", ["rheumatoid-arthritis"], [], "medical"),
        ("MLD for lymphedema", ["lymphedema"], ["manual-lymphatic-drainage"], "medical"),
        ("ART for my hamstring", [], ["active-release-techniques"], "medical"),
        ("deep tissue for knots in my back", ["muscle-tension"], ["deep-tissue-massage"], None),
        ("prenatal, 30 weeks pregnant", ["pregnancy-discomfort"], ["prenatal-massage"], None),
        ("hot stone massage as a birthday gift", [], ["hot-stone-massage"], "spa"),
        ("swedish massage to unwind", ["relaxation"], ["swedish-massage"], "spa"),
        ("relaxing massage for my back pain",
         ["relaxation", "lower-back-pain", "upper-back-pain"], [], "medical"),  # pain wins
        ("sciatica, slipped disc, sciatica", ["sciatica", "herniated-disc"], [], "medical"),
        ("knee hurts on stairs", ["knee-pain"], [], "medical"),
        ("my doctor wants me to get massage for my neck", [], [], "medical"),
        ("pamper me", [], [], "spa"),
        ("lymphatic drainage as a gift", [], ["manual-lymphatic-drainage"], None),  # conflicting
        ("after my cast came off", ["stiffness-after-immobilization"], [], "medical"),
    ],
)  # fmt: skip
def test_lay_queries(query, conditions, modalities, setting):
    result = interpret(query)
    assert list(result.conditions) == conditions
    assert list(result.modalities) == modalities
    assert result.setting == setting


@pytest.mark.parametrize(
    ("query", "not_slug"),
    [
        ("art of relaxation", "active-release-techniques"),
        ("art therapy for my son", "active-release-techniques"),
        ("I met my friend", "muscle-energy-technique"),
        ("pain when arms raised", "rheumatoid-arthritis"),
        ("a massage parlor", "rheumatoid-arthritis"),
        ("Ms Smith recommended you", "multiple-sclerosis"),
        ("I HAVE RA", "rheumatoid-arthritis"),  # all capitals say nothing
        ("prom night treat", "passive-range-of-motion"),
        ("massage near Jackson, MS", "multiple-sclerosis"),  # a state, not a condition
    ],
)
def test_short_abbreviations_need_capitals_or_the_whole_query(query, not_slug):
    assert not_slug not in named(interpret(query))


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("RA", "rheumatoid-arthritis"),
        ("ra", "rheumatoid-arthritis"),  # the whole query
        ("art", "active-release-techniques"),
        ("stiff legs from MS", "multiple-sclerosis"),
        ("MS fatigue", "multiple-sclerosis"),
        ("is MET good for my hip", "muscle-energy-technique"),
        ("mld", "manual-lymphatic-drainage"),
        ("pnf stretching for my hamstrings", "pnf-stretching"),
        ("iastm", "iastm"),
        ("tight it band", "it-band-syndrome"),
    ],
)
def test_abbreviations_that_do_match(query, slug):
    assert slug in named(interpret(query))


@pytest.mark.parametrize(
    ("query", "slug", "suggestion"),
    [
        # listed misspellings
        ("sciatia near hoboken", "sciatica", "sciatica near hoboken"),
        ("sciatia", "sciatica", "sciatica"),
        ("plantar fasciitus", "plantar-fasciitis", "plantar fasciitis"),
        ("plantar fascitis", "plantar-fasciitis", "plantar fasciitis"),
        ("deep tisue", "deep-tissue-massage", "deep tissue"),
        ("carpel tunnel", "carpal-tunnel-syndrome", "carpal tunnel"),
        ("migrane", "migraine", "migraine"),
        ("shiatzu", "shiatsu", "shiatsu"),
        ("reflexolgy", "reflexology", "reflexology"),
        ("lumbargo", "lower-back-pain", "lumbago"),
        ("multiple scelrosis", "multiple-sclerosis", "multiple sclerosis"),
        ("tmj disoder", "tmj-disorder", "TMJ disorder"),
        # by edit distance
        ("sciatika", "sciatica", "sciatica"),
        ("Sciatika   pain  near Hoboken, NJ", "sciatica", "sciatic pain near Hoboken, NJ"),
        ("craniosacral therpy", "craniosacral-therapy", "craniosacral therapy"),
        ("fibromyalgiia flare", "fibromyalgia", "fibromyalgia flare"),
        ("reflexollogy for my feet", "reflexology", "reflexology for my feet"),
        ("thoracic outlit syndrom", "thoracic-outlet-syndrome", "thoracic outlet syndrome"),
        ("deep tisue massge", "deep-tissue-massage", "deep tissue massage"),
        ("pitcher sholder", "rotator-cuff-injury", "pitcher's shoulder"),
        ("deeptisue", "deep-tissue-massage", "deep tissue"),
        ("acupresssure", "acupressure", "acupressure"),
        # a slip of the first letter: dropped, or one that sounds alike
        ("coliosis", "scoliosis", "scoliosis"),
        ("kupping", "cupping", "cupping"),
        ("servicalgia", "neck-pain", "cervicalgia"),
    ],
)
def test_typos_match_and_suggest(query, slug, suggestion):
    result = interpret(query)
    assert slug in named(result)
    assert result.suggestion == suggestion


@pytest.mark.parametrize(
    "query",
    [
        "relaxing",
        "massage",
        "therapist",
        "shoulder",
        "gentle",
        "wife",
        "gentle massage for my shoulder",
        "relay race recovery",
        "foam rolling",
        "capping my week",
        "relating to my therapist",
        "fibre",
        "streamed",
        # a different first letter that is no slip of it, or an everyday word
        "pension",
        "an odder feeling",
        "kneading",
        "scented candles",
        "sister",
    ],
)
def test_ordinary_words_are_not_typos(query):
    result = interpret(query)
    assert result.suggestion is None
    if query != "relaxing":  # a synonym of relaxation, spelt right
        assert named(result) == ()


@pytest.mark.parametrize(
    ("query", "place", "slug"),
    [
        ("hot stone massage near Hoboken", "Hoboken", "hot-stone-massage"),
        ("sciatica near Hoboken, NJ", "Hoboken, NJ", "sciatica"),
        ("sciatica near 07030", "07030", "sciatica"),
        ("deep tissue in jersey city", "jersey city", "deep-tissue-massage"),
        ("Swedish massage around Back Bay", "Back Bay", "swedish-massage"),
        ("sciatica near Jackson, MS", "Jackson, MS", "sciatica"),
        ("near Hoboken", "Hoboken", None),
        ("massage in Hoboken near Jersey City", "Jersey City", None),  # only the last clause
        ("slipped disc in my lower back", None, "herniated-disc"),
        ("heel pain in the morning", None, "plantar-fasciitis"),
        ("pain in my buttock", None, "piriformis-syndrome"),
        ("tingling in hands", None, None),
        ("massage near me", None, None),
        ("massage in bed", None, None),
    ],
)
def test_place(query, place, slug):
    result = interpret(query)
    assert result.place == place
    if slug:
        assert slug in named(result)
    if place:
        assert not set(vocabulary.normalize(place).split()) & set(result.terms)


def test_place_words_are_not_typos_or_terms():
    result = interpret("sciatica near Sciatika Springs")
    assert result.place == "Sciatika Springs"
    assert result.suggestion is None and result.terms == ()


def test_terms_are_leftover_content_words():
    result = interpret("shooting pain down the back of my leg, worse after golf near Hoboken")
    assert result.conditions == ("sciatica",)
    assert result.terms == ("shooting", "golf")
    assert interpret("a therapist who speaks spanish").terms == ("speaks", "spanish")
    assert interpret("pain pain relaxing spa").terms == ()  # cue words count, never search


def test_order_of_appearance_without_duplicates():
    result = interpret("sciatica, then tennis elbow, then sciatic nerve pain and hot stone")
    assert result.conditions == ("sciatica", "tennis-elbow")
    assert result.modalities == ("hot-stone-massage",)


def test_longest_phrase_wins():
    result = interpret("post-op lymphatic massage")
    assert result.modalities == ("post-operative-lymphatic-massage",)


def test_every_vocabulary_phrase_finds_its_entry():
    for term in vocabulary.terms().values():
        for phrase in (term.name, *term.synonyms, *term.lay_terms, *term.misspellings):
            result = interpret(phrase)
            assert term.slug in named(result), phrase
            if phrase not in term.misspellings:
                assert result.suggestion is None, phrase


HOSTILE = [
    "",
    "   ",
    "\x00",
    "sciatica\x00\x01\x02 near \x1fHoboken",
    "x" * 5000,
    "sciatica " * 1000,
    "😀😀😀",
    "*",
    "a:b",
    "[a TO z]",
    'unbalanced "quote',
    "'; DROP TABLE practitioner; --",
    "setting:spa OR 1=1",
    "\ud800 lone surrogate",
    "near",
    "in in in in",
    ",",
    ", NJ",
    "near , NJ",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_fails(text):
    result = interpret(text)
    assert isinstance(result, Interpretation)
    assert result.setting in (None, "medical", "spa")
    assert len(" ".join(result.terms)) <= MAX_NEED_LENGTH
    if result.suggestion is not None:
        assert result.suggestion.isprintable()
    result.describe()


@pytest.mark.parametrize("text", ["", "  \t\n", "\x00\x01", "*", "😀", "!!!", "a", "the of and"])
def test_empty_or_junk_input_means_nothing(text):
    assert interpret(text) == Interpretation()


def test_random_input_never_fails():
    rng = random.Random(20240601)
    alphabet = "abcsiatREMNJ ,.'-\x00\t\u2019é😀*:[]\"07"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        interpret(text).describe()


def test_long_input_is_cut_at_a_word_boundary():
    # The search refuses a longer need (search/params.py); called directly, the interpreter
    # still never reads past the limit.
    text = "tennis elbow " * (MAX_NEED_LENGTH // 13 + 1) + "sciatica " * 20
    result = interpret(text)
    assert result.conditions == ("tennis-elbow",)  # sciatica starts beyond the limit
    cut = interpret("sciatica " + "b" * (MAX_NEED_LENGTH + 100))
    assert cut.conditions == ("sciatica",) and cut.terms == ()


def test_slipped_disc_near_a_typo_suggests_the_whole_text():
    result = interpret("slipped disk  near  Hoboken, NJ")
    assert result.suggestion == "slipped disc near Hoboken, NJ"
    assert result.place == "Hoboken, NJ"


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("shooting pain down the back of my leg", "Medical massage for sciatica"),
        ("hot stone massage near Hoboken", "Spa massage: hot stone massage"),
        ("tension headaches", "Massage for tension headache"),
        ("relaxing gift", "Spa massage for relaxation"),
        ("jaw clenching", "Medical massage for TMJ disorder"),
        ("swedish massage with hot stones", "Spa massage: Swedish massage and hot stone massage"),
        ("sciatica and a slipped disc", "Medical massage for sciatica and herniated disc"),
        ("ART", "Medical massage: Active Release Techniques"),
        ("fibro, gentle touch", "Medical massage for fibromyalgia: craniosacral therapy"),
        ("my doctor sent me", "Medical massage"),
        ("basket weaving", ""),
        ("", ""),
    ],
)  # fmt: skip
def test_describe(query, text):
    assert interpret(query).describe() == text


def test_describe_with_display_names():
    result = interpret("sciatica")
    assert result.describe(lambda slug: vocabulary.terms()[slug].name) == (
        "Medical massage for sciatica"
    )
    assert result.describe(lambda slug: "Leg Nerve Pain") == "Medical massage for Leg Nerve Pain"
    assert interpret("tension headache").describe(str.upper) == "Massage for TENSION-HEADACHE"


def _reference_osa(a: str, b: str, limit: int) -> int:
    """The interpreter's former hand-written distance, kept as the oracle for rapidfuzz's."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@settings(max_examples=500, deadline=None)
@given(
    a=st.text(alphabet="abcdeios", max_size=10),
    b=st.text(alphabet="abcdeios", max_size=10),
    limit=st.integers(min_value=0, max_value=3),
)
def test_typo_distance_is_optimal_string_alignment_capped_at_the_limit(a, b, limit):
    assert interpret_module._distance(a, b, limit) == min(_reference_osa(a, b, limit), limit + 1)


@pytest.mark.parametrize(
    ("need", "conditions", "red_flags"),
    [
        ("back pain", ("lower-back-pain", "upper-back-pain"), ()),
        ("my back hurts", ("lower-back-pain", "upper-back-pain"), ()),
        ("shoulder pain", ("rotator-cuff-injury", "frozen-shoulder"), ()),
        ("sore muscles", ("muscle-tension", "sports-recovery"), ()),
        ("headache", ("tension-headache",), ()),
        ("knee replacement", ("post-surgical-recovery",), ()),
        ("swelling after surgery", ("post-surgical-swelling",), ()),
        ("leg pain with numbness", ("sciatica",), ("new-leg-numbness-or-weakness",)),
        ("a sudden headache", (), ("sudden-severe-headache",)),
    ],
)
def test_everyday_words_name_conditions(need, conditions, red_flags):
    result = interpret(need)
    assert (result.conditions, result.red_flags) == (conditions, red_flags)


def test_a_broad_phrase_offers_each_of_its_conditions_alone():
    assert interpret("back pain near Hoboken, NJ").choices == (
        ("lower-back-pain", "upper-back-pain"),
    )
    assert interpret("lower back pain").choices == ()
    # "leg pain with numbness" names a red flag beside sciatica: no choice between them.
    assert interpret("leg pain with numbness").choices == ()


def test_broad_phrases_name_known_entries_and_no_phrase_twice():
    phrases = vocabulary.broad_phrases()
    assert "back pain" in phrases
    for slugs in phrases.values():
        assert len(slugs) >= 2 and all(s in vocabulary.terms() for s in slugs)


@pytest.mark.parametrize(
    ("code", "conditions"),
    [
        ("M54.16", ("sciatica",)),
        ("M5416", ("sciatica",)),  # without its dot
        ("m54.16", ("sciatica",)),
        ("referral dx m5416", ("sciatica",)),
        ("M54.1", ("sciatica",)),  # radiculopathy: only sciatica's code is under it
        ("M541", ("sciatica",)),
        ("M54.5", ("lower-back-pain",)),
        ("M75.0", ("frozen-shoulder",)),
        ("M54", ("lower-back-pain", "upper-back-pain", "neck-pain", "sciatica")),  # dorsalgia
        ("M79", ()),  # a category far wider than the one condition under it (fibromyalgia)
        ("M72", ()),
    ],
)
def test_icd10_codes_with_or_without_the_dot_and_their_parents(code, conditions):
    result = interpret(code)
    assert result.conditions == conditions
    assert result.choices == ((conditions,) if len(conditions) > 1 else ())


@pytest.mark.parametrize(
    ("need", "conditions", "modalities"),
    [
        ("sciatic", ("sciatica",), ()),
        ("my sciatic is acting up", ("sciatica",), ()),
        ("my neck is killing me", ("neck-pain",), ()),
        ("pain in my neck", ("neck-pain",), ()),
        ("my left hip has been really sore", ("hip-pain",), ()),
        ("my knee is sore", ("knee-pain",), ()),
        ("pain between the shoulder blades", ("upper-back-pain",), ()),
        ("tight calves after running", ("muscle-tension", "sports-recovery"), ()),
        ("calves are tight from training", ("muscle-tension", "sports-recovery"), ()),
        ("my jaw is tight", ("tmj-disorder",), ()),
        ("I sit at a desk all day and my shoulders ache", ("tech-neck", "muscle-tension"), ()),
        ("my feet are killing me", ("plantar-fasciitis",), ("foot-massage",)),
    ],
)
def test_a_body_part_said_to_hurt_or_be_tight(need, conditions, modalities):
    result = interpret(need)
    assert (result.conditions, result.modalities) == (conditions, modalities)
    assert result.suggestion is None


@pytest.mark.parametrize(
    "need",
    [
        "back in the day",
        "head of the department",
        "a tight schedule",
        "my knee is fine",
        "pain relief for my neck",  # no part said to hurt: "relief" is no link word
    ],
)
def test_a_body_part_alone_or_far_from_a_complaint_names_nothing(need):
    assert named(interpret(need)) == ()


# -- needs in Spanish (issue 29): read like their English twins, whatever the page's language --


@pytest.mark.parametrize(
    ("spanish", "english"),
    [
        ("dolor de espalda", "back pain"),
        ("me duele la espalda", "my back hurts"),
        ("dolor lumbar", "lower back pain"),
        ("ciática", "sciatica"),
        ("hernia de disco", "herniated disc"),
        ("hombro congelado", "frozen shoulder"),
        ("fascitis plantar", "plantar fasciitis"),
        ("túnel carpiano", "carpal tunnel"),
        ("escoliosis", "scoliosis"),
        ("codo de tenista", "tennis elbow"),
        ("migraña", "migraine"),
        ("dolor de cabeza", "headache"),
        ("ansiedad", "anxiety"),
        ("insomnio", "insomnia"),
        ("masaje prenatal", "prenatal massage"),
        ("drenaje linfático", "lymphatic drainage"),
        ("masaje de tejido profundo", "deep tissue massage"),
        ("puntos gatillo", "trigger points"),
        ("liberación miofascial", "myofascial release"),
        ("masaje con piedras calientes", "hot stone massage"),
        ("masaje en pareja", "couples massage"),
        ("regalo relajante", "relaxing gift"),
    ],
)
def test_a_spanish_need_is_read_as_its_english_twin(spanish, english):
    es, en = interpret(spanish), interpret(english)
    assert named(es) == named(en) and named(es)
    assert (es.setting, es.choices, es.populations) == (en.setting, en.choices, en.populations)
    assert es.suggestion is None and es.terms == ()  # every word understood


@pytest.mark.parametrize(
    ("query", "slug", "setting"),
    [
        # accents are optional, capitals too
        ("ciatica", "sciatica", "medical"),
        ("CIÁTICA", "sciatica", "medical"),
        ("fibromialgia", "fibromyalgia", "medical"),
        ("depresion", "depression", None),
        ("síndrome del túnel carpiano", "carpal-tunnel-syndrome", "medical"),
        # lay phrasings
        (
            "me duele la espalda baja después de estar sentado todo el día",
            "lower-back-pain",
            "medical",
        ),
        ("tengo una hernia de disco", "herniated-disc", "medical"),
        ("tengo un disco salido", "herniated-disc", "medical"),
        ("algo relajante para regalar a mi mamá", "relaxation", "spa"),
        ("me duele la cintura", "lower-back-pain", "medical"),
        ("tengo el cuello muy tenso", "neck-pain", None),
        ("me duelen los talones", "plantar-fasciitis", "medical"),
        ("estoy embarazada de 7 meses", "pregnancy-discomfort", None),
        ("masaje relajante", "swedish-massage", "spa"),
        ("masajes post operatorios", "post-operative-lymphatic-massage", "medical"),
    ],
)
def test_spanish_needs_are_read_with_or_without_accents_and_in_everyday_words(query, slug, setting):
    found = interpret(query)
    assert slug in named(found), found
    assert found.setting == setting and found.suggestion is None


@pytest.mark.parametrize(
    ("query", "slug", "suggestion"),
    [
        ("fibromalgia", "fibromyalgia", "fibromialgia"),  # listed misspellings
        ("escoleosis", "scoliosis", "escoliosis"),
        ("embarasada", "pregnancy-discomfort", "embarazada"),
        ("ciatca", "sciatica", "ciática"),  # typos within the edit budget
        ("hombro congeldo", "frozen-shoulder", "hombro congelado"),
        ("drenage linfatico", "manual-lymphatic-drainage", "drenaje linfático"),
        (
            "piedras kalientes cerca de Hoboken",
            "hot-stone-massage",
            "piedras calientes cerca de Hoboken",
        ),
        ("insonmio", "insomnia", "insomnio"),
    ],
)
def test_spanish_typos_match_and_suggest_the_spanish_word(query, slug, suggestion):
    found = interpret(query)
    assert slug in named(found)
    assert found.suggestion == suggestion


@pytest.mark.parametrize(
    ("query", "place"),
    [
        ("masaje relajante cerca de Hoboken", "Hoboken"),
        ("dolor de espalda cerca del 07030", "07030"),
        ("ciática en Jersey City", "Jersey City"),
        ("masaje en Los Angeles", "Los Angeles"),
        ("dolor en los pies", None),  # a body part, not a place
        ("masaje en casa", None),
        ("me duele en las noches", None),
        ("sciatica near Hoboken", "Hoboken"),
    ],
)
def test_a_place_is_read_after_spanish_prepositions(query, place):
    assert interpret(query).place == place


@pytest.mark.parametrize(
    ("need", "flagged"),
    [
        ("fiebre y dolor de espalda", True),
        ("sin fiebre, dolor de espalda", False),
        ("no tengo fiebre", False),
        ("no he tenido fiebre pero me duele la espalda", False),
        ("dolor en el pecho", True),
        ("no me duele el pecho, solo la espalda", False),
    ],
)
def test_a_spanish_denial_is_read_as_one(need, flagged):
    red_flags = interpret(need).red_flags
    assert bool(red_flags) is flagged, red_flags
