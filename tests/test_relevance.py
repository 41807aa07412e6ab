"""Relevance: what a client types and where, against a realistic roster around Hoboken, NJ.

The cases start from the 30 client queries of shared/notes/DOMAIN.md section C (their number is
in the id: `c03-...`) and add lay phrasings of our own. Each case says which therapists must be
near the top, which must never be listed, and the setting the need calls for:

- M (medical): every top-3 result is "medical" or "both"; no spa-only therapist at all.
- S (spa): the first result is "spa" or "both", never a medical-only clinic.
- E (either): no setting check.

Queries 12-14 (and the other post-operative / lymphedema needs) must put a CLT or MLD
credentialed therapist first. The unpublished, expired-license and wrong-state decoys must never
appear anywhere; the Trenton and Philadelphia therapists never appear around Hoboken.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from directory import geo, vocabulary
from directory.db import db
from directory.interpret import interpret
from directory.practices.models import Tenant
from directory.vocabulary import Condition, Modality
from tests.conftest import add_practitioner, module_world, tag
from tests.relevance_set import HELD_OUT, LABELLED
from tests.relevance_set_es import HELD_OUT_ES, LABELLED_ES

LATER = date.today() + timedelta(days=365)
YESTERDAY = date.today() - timedelta(days=1)


# -- the roster ---------------------------------------------------------------------------------

#: Decoys that must never be listed, whatever the need and the place.
NEVER = {
    "ghost-everything",  # unpublished, matches every condition and modality
    "victor-nash",  # only license expired yesterday
    "wendy-park",  # NJ office, but her only license is from NY
}
#: Spa-only therapists: never listed for a medical need.
SPA_ONLY = {
    "chloe-martin",
    "bianca-rossi",
    "jade-kim",
    "aisha-bello",
    "lucas-meyer",
    "claire-hughes",
    "nora-quinn",
}
#: Far from Hoboken (Trenton ~53 mi, Philadelphia ~81 mi): never within the default 10 miles.
FAR = {"paul-dunn", "claire-hughes"}
AROUND_HOBOKEN = {"Hoboken, NJ", "07030", "Jersey City, NJ", "07302", "Weehawken, NJ"}

#: Every medical condition of the vocabulary: the catch-all clinic lists them all.
ALL_MEDICAL_CONDITIONS = [
    "lower-back-pain", "upper-back-pain", "neck-pain", "sciatica", "herniated-disc",
    "degenerative-disc-disease", "spinal-stenosis", "scoliosis", "kyphosis", "lordosis",
    "tech-neck", "whiplash", "tmj-disorder", "tension-headache", "migraine", "frozen-shoulder",
    "rotator-cuff-injury", "thoracic-outlet-syndrome", "tennis-elbow", "golfers-elbow",
    "carpal-tunnel-syndrome", "repetitive-strain-injury", "piriformis-syndrome", "hip-pain",
    "bursitis", "it-band-syndrome", "hamstring-strain", "knee-pain", "runners-knee",
    "shin-splints", "ankle-sprain", "plantar-fasciitis", "tendinitis", "muscle-tension",
    "muscle-spasms", "sports-injury", "limited-range-of-motion",
    "stiffness-after-immobilization", "osteoarthritis", "rheumatoid-arthritis", "fibromyalgia",
    "edema", "lymphedema", "neuropathy", "post-surgical-recovery", "post-surgical-swelling",
    "scar-tissue", "restless-legs-syndrome", "relaxation", "stress",
]  # fmt: skip


@dataclass(frozen=True)
class Therapist:
    slug: str
    tenant: str
    setting: str
    credentials: str
    office: str  # ZIP code
    conditions: tuple[str, ...]
    modalities: tuple[str, ...]
    #: (state, status, expires); by default one verified license in the office's state.
    licenses: tuple[tuple, ...] | None = None
    headline: str = ""
    bio: str = ""
    accepting: bool = True


def t(slug, tenant, setting, credentials, office, conditions, modalities, **more) -> Therapist:
    return Therapist(slug, tenant, setting, credentials, office, tuple(conditions.split()),
                     tuple(modalities.split()), **more)  # fmt: skip


def pending(state):
    return ((state, "pending", LATER),)


#: Credentials written on the roster that stand for a verified specialty record (the line
#: itself earns nothing: search routes lymphedema to verified CLTs).
SPECIALTY_OF = {
    "CLT": "clt",
    "CLT-LANA": "clt",
    "NMT": "nmt",
    "CPMT": "prenatal",
    "OMT": "oncology",
}


def _specialties(credentials: str) -> list[tuple]:
    kinds = {SPECIALTY_OF.get(word.strip()) for word in credentials.split(",")} - {None}
    return [(kind, "verified", LATER) for kind in sorted(kinds)]


ROSTER = [
    # --- back, disc and sciatica specialists -------------------------------------------------
    t("maria-santos", "hudson-spine", "medical", "LMT, NMT", "07030",
      "lower-back-pain sciatica herniated-disc piriformis-syndrome tech-neck",
      "neuromuscular-therapy trigger-point-therapy deep-tissue-massage medical-massage "
      "muscle-energy-technique",
      headline="Neuromuscular therapy for back pain, sciatica and disc problems"),
    t("samir-haddad", "hudson-spine", "medical", "LMT, NMT", "07047",
      "piriformis-syndrome sciatica hip-pain lower-back-pain spinal-stenosis "
      "degenerative-disc-disease herniated-disc",
      "neuromuscular-therapy trigger-point-therapy muscle-energy-technique positional-release "
      "medical-massage",
      headline="Medical massage for spine and hip pain"),
    t("james-okafor", "crafted-hand", "both", "LMT", "07302",
      "lower-back-pain upper-back-pain neck-pain muscle-tension tension-headache tech-neck",
      "deep-tissue-massage trigger-point-therapy swedish-massage",
      headline="Deep tissue for desk workers"),
    # --- lymphatic: CLTs in Hoboken, the West Village and Brooklyn; an LMT-only post-lipo decoy --
    t("lena-kowalski", "riverside-lymphatic", "medical", "LMT, CLT, OMT", "07030",
      "lymphedema edema post-surgical-swelling post-surgical-recovery cancer-related-fatigue "
      "scar-tissue",
      "manual-lymphatic-drainage complete-decongestive-therapy post-operative-lymphatic-massage "
      "oncology-massage scar-tissue-massage",
      headline="Certified lymphedema therapist: post-op drainage and lymphedema care",
      bio="Vodder-trained. Post-surgical and cancer-related lymphedema, compression."),
    t("priya-raman", "crafted-hand", "medical", "LMT, CLT-LANA", "10014",
      "lymphedema post-surgical-swelling edema",
      "manual-lymphatic-drainage post-operative-lymphatic-massage complete-decongestive-therapy",
      headline="Lymphedema and post-operative MLD in the West Village"),
    t("ana-lima", "crafted-hand", "medical", "LMT, CLT", "11215",
      "lymphedema edema", "manual-lymphatic-drainage complete-decongestive-therapy",
      licenses=pending("NY")),
    t("tara-vance", "glow-body-studio", "both", "LMT", "07030",
      "post-surgical-swelling post-surgical-recovery edema",
      "post-operative-lymphatic-massage manual-lymphatic-drainage body-wrap swedish-massage",
      headline="Post-lipo, BBL and tummy tuck lymphatic massage packages",
      bio="Lymphatic massage after liposuction, BBL or a tummy tuck; swelling and fibrosis."),
    # --- sports, upper limb, jaw, whiplash, rehab ---------------------------------------------
    t("marcus-bell", "crafted-hand", "both", "LMT, CSCS", "07307",
      "sports-injury sports-recovery rotator-cuff-injury shin-splints hamstring-strain "
      "it-band-syndrome tendinitis runners-knee flexibility",
      "sports-massage assisted-stretching pnf-stretching active-release-techniques "
      "kinesio-taping deep-tissue-massage",
      headline="Sports massage for runners and throwing athletes"),
    t("elena-petrova", "crafted-hand", "medical", "LMT, NMT", "07087",
      "carpal-tunnel-syndrome thoracic-outlet-syndrome repetitive-strain-injury tennis-elbow "
      "golfers-elbow tendinitis",
      "neuromuscular-therapy trigger-point-therapy cross-fiber-friction myofascial-release iastm",
      headline="Hands, wrists and elbows: carpal tunnel and repetitive strain"),
    t("david-cho", "crafted-hand", "medical", "LMT", "10014",
      "tmj-disorder whiplash neck-pain tension-headache migraine",
      "intraoral-massage medical-massage myofascial-release craniosacral-therapy",
      headline="TMJ and intraoral massage, headaches"),
    t("sofia-reyes", "crafted-hand", "medical", "LMT", "07086",
      "whiplash neck-pain lower-back-pain sports-injury", "medical-massage myofascial-release",
      headline="Auto accident (PIP) and workers' comp medical massage"),
    t("olivia-grant", "hudson-spine", "medical", "LMT", "07306",
      "frozen-shoulder rotator-cuff-injury limited-range-of-motion "
      "stiffness-after-immobilization post-surgical-recovery scar-tissue knee-pain",
      "medical-massage passive-range-of-motion myofascial-release scar-tissue-massage "
      "muscle-energy-technique",
      headline="Orthopedic massage after surgery and for frozen shoulder"),
    t("nina-alvarez", "crafted-hand", "medical", "LMT", "07030",
      "plantar-fasciitis shin-splints ankle-sprain knee-pain it-band-syndrome",
      "trigger-point-therapy myofascial-release iastm cross-fiber-friction",
      licenses=pending("NJ")),
    t("jordan-blake", "crafted-hand", "medical", "LMT", "10003",
      "shin-splints it-band-syndrome runners-knee plantar-fasciitis sports-injury",
      "sports-massage iastm active-release-techniques", licenses=pending("NY")),
    # --- gentle, chronic, pregnancy, headaches, knots, Thai ------------------------------------
    t("ruth-abrams", "crafted-hand", "both", "LMT", "07302",
      "fibromyalgia osteoarthritis chronic-fatigue rheumatoid-arthritis restless-legs-syndrome "
      "anxiety",
      "swedish-massage myofascial-release geriatric-massage craniosacral-therapy",
      headline="Gentle massage for fibromyalgia, arthritis and anxious bodies"),
    t("hannah-weiss", "crafted-hand", "both", "LMT, CPMT", "07030",
      "pregnancy-discomfort postpartum-recovery lower-back-pain",
      "prenatal-massage postpartum-massage swedish-massage",
      headline="Certified prenatal and postpartum massage"),
    t("emily-stone", "crafted-hand", "both", "LMT", "07093",
      "tension-headache migraine neck-pain tech-neck eye-strain-headache muscle-tension "
      "upper-back-pain",
      "trigger-point-therapy craniosacral-therapy swedish-massage scalp-massage "
      "deep-tissue-massage"),
    t("isabel-cruz", "crafted-hand", "both", "LMT", "07030",
      "muscle-tension upper-back-pain neck-pain stress",
      "deep-tissue-massage trigger-point-therapy swedish-massage cupping",
      licenses=pending("NJ"), headline="Firm deep tissue for knots"),
    t("tomas-silva", "crafted-hand", "both", "LMT", "07087",
      "flexibility muscle-tension sports-recovery", "thai-massage assisted-stretching shiatsu",
      headline="Traditional Thai massage on a floor mat"),
    t("kevin-murphy", "crafted-hand", "both", "LMT", "11201",
      "sports-recovery muscle-tension upper-back-pain", "sports-massage deep-tissue-massage"),
    # --- spas ---------------------------------------------------------------------------------
    t("chloe-martin", "mile-square-spa", "spa", "LMT", "07030",
      "stress relaxation insomnia anxiety",
      "swedish-massage hot-stone-massage aromatherapy-massage couples-massage",
      headline="Relaxing Swedish, hot stone and couples massage"),
    t("bianca-rossi", "mile-square-spa", "spa", "LMT", "07030",
      "relaxation stress muscle-tension",
      "swedish-massage deep-tissue-massage hot-stone-massage",
      headline="Unwind after your commute",
      bio="Many guests come in with sciatica, lower back pain or a slipped disc after long "
          "commutes; a warm stone session helps them relax."),
    t("jade-kim", "newport-day-spa", "spa", "LMT", "07310",
      "relaxation stress jet-lag",
      "hot-stone-massage swedish-massage body-wrap facial-massage reflexology "
      "manual-lymphatic-drainage",
      headline="Spa rituals: hot stone, body wraps and lymphatic detox",
      bio="Our lymphatic drainage body ritual leaves you light and refreshed."),
    t("aisha-bello", "newport-day-spa", "spa", "LMT", "07086",
      "relaxation stress",
      "couples-massage hot-stone-massage aromatherapy-massage swedish-massage",
      headline="Couples suites and aromatherapy"),
    t("lucas-meyer", "crafted-hand", "spa", "LMT", "10001",
      "relaxation stress insomnia",
      "swedish-massage aromatherapy-massage reflexology scalp-massage"),
    # Issue 28: for a spa need, "spa & medical" offers what a spa does, and a therapist who is
    # not accepting new clients comes after those who are, however near.
    t("mei-tanaka", "glow-body-studio", "both", "LMT", "07030",
      "relaxation stress", "swedish-massage aromatherapy-massage medical-massage",
      headline="Swedish and aromatherapy sessions; medical massage on referral"),
    t("nora-quinn", "mile-square-spa", "spa", "LMT", "07030",
      "relaxation stress", "swedish-massage hot-stone-massage", accepting=False,
      headline="Hot stone rituals"),
    # --- the medical-only catch-all clinic next door ------------------------------------------
    t("gregory-hale", "hoboken-pain-center", "medical", "LMT", "07030",
      " ".join(ALL_MEDICAL_CONDITIONS),
      "medical-massage myofascial-release neuromuscular-therapy trigger-point-therapy "
      "deep-tissue-massage",
      headline="We treat everything: pain, injury, surgery, relaxation",
      bio="Hot stone, relaxation, couples and gift certificates also available."),
    # --- far away -----------------------------------------------------------------------------
    t("paul-dunn", "crafted-hand", "medical", "LMT, CLT", "08608",
      "sciatica lymphedema lower-back-pain post-surgical-swelling",
      "manual-lymphatic-drainage neuromuscular-therapy medical-massage"),
    t("claire-hughes", "crafted-hand", "spa", "LMT", "19103",
      "relaxation stress", "hot-stone-massage swedish-massage couples-massage"),
    # --- never listed -------------------------------------------------------------------------
    t("victor-nash", "hoboken-pain-center", "medical", "LMT, NMT", "07030",
      "sciatica lower-back-pain herniated-disc lymphedema",
      "neuromuscular-therapy medical-massage manual-lymphatic-drainage",
      licenses=(("NJ", "verified", YESTERDAY),)),
    t("wendy-park", "crafted-hand", "both", "LMT, CLT", "07030",
      "sciatica lymphedema relaxation post-surgical-swelling",
      "manual-lymphatic-drainage hot-stone-massage neuromuscular-therapy",
      licenses=(("NY", "verified", LATER),)),
]  # fmt: skip

TENANTS = {
    "crafted-hand": ("The Crafted Hand", "network"),
    "hudson-spine": ("Hudson Spine & Sport", "clinic"),
    "riverside-lymphatic": ("Riverside Lymphatic Care", "practice"),
    "glow-body-studio": ("Glow Body Studio", "spa"),
    "mile-square-spa": ("Mile Square Day Spa", "spa"),
    "newport-day-spa": ("Newport Day Spa", "spa"),
    "hoboken-pain-center": ("Hoboken Pain Center", "clinic"),
}


def build_roster(make_practitioner) -> dict:
    """The roster above plus the unpublished decoy that matches everything; slug -> Practitioner."""
    tenants = {
        slug: Tenant(slug=slug, name=name, kind=kind) for slug, (name, kind) in TENANTS.items()
    }
    made = {}
    for th in ROSTER:
        state = geo.zip_location(th.office)[3]
        p = make_practitioner(
            th.slug, tenant=tenants[th.tenant], setting=th.setting, credentials=th.credentials,
            headline=th.headline, bio=th.bio, offices=[th.office],
            licenses=th.licenses or [(state, "verified", LATER)],
            specialties=_specialties(th.credentials), accepting_new_clients=th.accepting,
        )  # fmt: skip
        made[th.slug] = tag(p, conditions=th.conditions, modalities=th.modalities)
    ghost = make_practitioner(
        "ghost-everything", tenant=tenants["crafted-hand"], published=False, setting="both",
        credentials="LMT, CLT, NMT, CPMT", headline="Sciatica, lymphedema, hot stone, everything",
        bio="Relaxing gift, couples, slipped disc, lipo, tummy tuck, pregnant, marathon, Thai.",
        licenses=[("NJ", "verified", LATER), ("NY", "verified", LATER)], offices=["07030", "10014"],
    )  # fmt: skip
    made["ghost-everything"] = tag(
        ghost,
        conditions=[c.slug for c in db.session.scalars(select(Condition))],
        modalities=[m.slug for m in db.session.scalars(select(Modality))],
    )
    return made


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app, database and index for the whole module (as conftest's `app`): the roster is
    only read, and building it per case would take most of a minute."""
    build = lambda: build_roster(add_practitioner)  # noqa: E731
    with module_world(tmp_path_factory.mktemp("relevance"), build) as found:
        yield found


@pytest.fixture
def roster(world):
    return world[1]


@pytest.fixture
def client(world):
    return world[0].test_client()


# -- the labelled queries -----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    q: str
    setting: str  # "M", "S" or "E" (DOMAIN.md section C)
    must_top: tuple[str, ...] = ()  # at least one of them within the first k
    must_not: tuple[str, ...] = ()  # never listed (NEVER, and SPA_ONLY for M, are added)
    near: str | None = "Hoboken, NJ"
    k: int = 3
    clt_first: bool = False  # a CLT/MLD-credentialed therapist ranks first
    top_have: str | None = None  # a condition or modality every one of the first k lists

    def excluded(self) -> set[str]:
        out = NEVER | set(self.must_not)
        if self.setting == "M":
            out |= SPA_ONLY
        if self.near in AROUND_HOBOKEN:
            out |= FAR
        return out


BACK = ("maria-santos", "samir-haddad")
CLTS = ("lena-kowalski", "priya-raman")
SPAS = ("chloe-martin", "jade-kim", "aisha-bello", "bianca-rossi")

CASES = [
    # DOMAIN.md section C, in order
    Case("c01-desk-lower-back", "lower back pain from sitting at desk all day", "M",
         (*BACK, "james-okafor")),
    Case("c02-slipped-disc", "slipped disc in my lower back", "M", BACK),
    Case("c03-shooting-leg-pain", "shooting pain down back of my leg", "M", BACK),
    Case("c04-butt-pain-driving", "butt pain worse after long drives", "M", BACK),
    Case("c05-cant-lift-arm", "can't lift my arm above my head for months", "M",
         ("olivia-grant",)),
    Case("c06-heel-pain-morning", "heel pain on first steps in the morning", "M",
         ("nina-alvarez", "jordan-blake")),
    Case("c07-numb-fingers-typing", "numb fingers when typing", "M", ("elena-petrova",)),
    Case("c08-jaw-clicking", "jaw clicking and clenching at night", "M", ("david-cho",)),
    Case("c09-neck-after-accident", "neck stiff after car accident", "M",
         ("sofia-reyes", "david-cho")),
    Case("c10-pitcher-shoulder", "pitcher with sore shoulder", "M",
         ("marcus-bell", "olivia-grant")),
    Case("c11-tennis-elbow-lay", "outside of elbow hurts when gripping", "M",
         ("elena-petrova",)),
    Case("c12-swelling-after-lipo", "swelling after liposuction", "M", CLTS, clt_first=True),
    Case("c13-tummy-tuck-drainage", "post-surgery lymph drainage after tummy tuck", "M", CLTS,
         clt_first=True),
    Case("c14-arm-swelling-breast-cancer", "arm swelling after breast cancer surgery", "M",
         CLTS, clt_first=True),
    Case("c15-fibromyalgia-gentle", "fibromyalgia, need very gentle touch", "M",
         ("ruth-abrams",)),
    Case("c16-tension-headaches", "tension headaches every afternoon", "E",
         ("emily-stone", "david-cho", "james-okafor")),
    Case("c17-tingling-arms-raised", "tingling in hands when arms are raised", "M",
         ("elena-petrova",)),
    Case("c18-shin-pain-running", "shin pain from running", "M",
         ("marcus-bell", "nina-alvarez", "jordan-blake")),
    Case("c19-marathon-legs", "legs tight before my marathon", "E",
         ("marcus-bell", "tomas-silva")),
    Case("c20-deep-pressure-knots", "knots in my shoulders, like really deep pressure", "E",
         ("isabel-cruz", "james-okafor", "emily-stone")),
    Case("c21-pregnant-back", "28 weeks pregnant, lower back aching", "E", ("hannah-weiss",)),
    Case("c22-moms-arthritis", "arthritis in my mom's hands", "E", ("ruth-abrams",)),
    Case("c23-panic-calming", "panic attacks, want something calming", "E",
         ("ruth-abrams", "chloe-martin")),
    Case("c24-cant-sleep-stressed", "can't sleep, stressed from work", "S",
         ("chloe-martin", "lucas-meyer")),
    Case("c25-gift-for-wife", "relaxing gift massage for my wife", "S", SPAS),
    Case("c26-couples-anniversary", "couples massage for our anniversary", "S",
         ("aisha-bello", "chloe-martin"), top_have="couples-massage", k=2),
    # Bare "Hoboken" is also a town in Georgia: the search asks which one (test_search), and
    # the client's answer fills `near`.
    Case("c27-hot-stone-near-hoboken", "hot stone massage near Hoboken", "S", SPAS,
         must_not=("claire-hughes",), near="Hoboken, NJ"),
    Case("c28-stretchy-mat", "stretchy massage on a mat", "E", ("tomas-silva",), k=1),
    Case("c29-restless-legs", "restless legs at night", "E", ("ruth-abrams",)),
    Case("c30-scar-knee-replacement", "scar tissue tight after knee replacement", "M",
         ("olivia-grant", "lena-kowalski")),
    # Our own lay phrasings, places and decoy checks
    Case("lower-back-after-sitting", "my lower back hurts after sitting all day", "M",
         (*BACK, "james-okafor"), near="07030"),
    Case("slipped-disc-short", "slipped disc", "M", BACK, must_not=("bianca-rossi",),
         near="07030"),
    Case("sciatica-bio-decoy", "sciatica", "M", BACK, must_not=("bianca-rossi",), near="07030"),
    Case("sciatica-misspelt", "sciatia", "M", BACK),
    Case("relaxing-gift-short", "relaxing gift", "S", SPAS),
    Case("hot-stone-hoboken-field", "hot stone massage", "S", SPAS, top_have="hot-stone-massage"),
    Case("aromatherapy-unwind", "massage with aromatherapy to unwind", "S",
         ("chloe-martin", "aisha-bello", "lucas-meyer")),
    Case("lymphedema-jersey-city", "lymphedema", "M", CLTS, near="Jersey City, NJ",
         clt_first=True),
    Case("lymphedema-manhattan", "lymphedema", "M", CLTS, near="New York, NY", clt_first=True),
    Case("drainage-after-bbl", "lymphatic drainage after BBL", "M", CLTS, clt_first=True),
    Case("massage-during-chemo", "massage during chemo", "M", ("lena-kowalski",)),
    Case("deep-tissue", "deep tissue massage", "E", top_have="deep-tissue-massage"),
    Case("carpal-tunnel-jersey-city", "carpal tunnel", "M", ("elena-petrova",), near="07302"),
    Case("prenatal", "prenatal massage", "E", ("hannah-weiss",), near="07030", k=1),
    Case("laptop-neck", "stiff neck from looking at my laptop all day", "E",
         ("emily-stone", "james-okafor")),
    Case("it-band-cycling", "tight IT band from cycling", "M",
         ("marcus-bell", "nina-alvarez", "jordan-blake")),
    Case("frozen-shoulder", "frozen shoulder", "M", ("olivia-grant",), near="07030"),
    Case("whiplash-short", "whiplash", "M", ("sofia-reyes", "david-cho")),
    Case("tmj-in-manhattan", "TMJ", "M", ("david-cho",), near="10014", k=1),
    Case("sciatica-trenton", "sciatica", "M", ("paul-dunn",), near="Trenton, NJ", k=1,
         must_not=(*BACK, "gregory-hale")),
    Case("hot-stone-philadelphia", "hot stone massage", "S", ("claire-hughes",),
         near="Philadelphia, PA", k=1, must_not=SPAS),
    # The wrist specialist 1.6 mi away, not the clinic next door that lists all 50 conditions
    # (the other cases use k=3 and would not notice a catch-all profile always ranking first).
    Case("specialist-before-catch-all", "numb fingers when typing", "M", ("elena-petrova",),
         k=1),
    # A spa need: the accepting "spa & medical" therapist next door, not spa-only therapists
    # further away (the ranking before put every spa-only one first, even one not accepting).
    Case("spa-and-medical-next-door", "relaxing gift for my mom", "S", ("mei-tanaka",)),
]  # fmt: skip

#: Known relevance bugs, kept visible (strict: the case fails the suite once it is fixed).
XFAIL: dict[str, str] = {}


def _params(cases):
    for case in cases:
        marks = ()
        if case.id in XFAIL:
            marks = pytest.mark.xfail(reason=XFAIL[case.id], strict=True)
        yield pytest.param(case, id=case.id, marks=marks)


CLT = re.compile(r"\b(CLT|MLD)\b")


@pytest.mark.parametrize("case", list(_params(CASES)))
def test_relevance(client, roster, case):
    query = {"q": case.q} | ({"near": case.near} if case.near else {})
    response = client.get("/api/v1/search", query_string=query)
    assert response.status_code == 200, response.json
    body = response.json
    results = body["results"]
    found = [r["slug"] for r in results]
    seen = "\n".join(
        f"  {i + 1}. {r['slug']} ({r['setting']}, {r['credentials']}, {r['distance_miles']} mi)"
        for i, r in enumerate(results[:6])
    )
    why = f"\n{case.q!r} near {case.near!r} read as {body['interpretation']}; ranked:\n{seen}"

    assert not case.excluded() & set(found), f"listed: {case.excluded() & set(found)}{why}"
    if case.must_top:
        top = set(found[: case.k])
        assert top & set(case.must_top), f"none of {case.must_top} in top {case.k}{why}"
    if case.setting == "M":
        assert all(r["setting"] in ("medical", "both") for r in results[:3]), why
    if case.setting == "S":
        assert results and results[0]["setting"] in ("spa", "both"), why
    if case.clt_first:
        assert results and CLT.search(results[0]["credentials"]), why
    if case.top_have:
        name = vocabulary.terms()[case.top_have].name
        top = results[: case.k]
        assert len(top) == case.k, why
        assert all(name in r["conditions"] + r["modalities"] for r in top), f"{name}{why}"


def test_the_roster_is_what_the_cases_assume(client, roster):
    """Guards the fixture: every labelled slug exists, and the decoys are built as described."""
    named = {s for c in CASES for s in (*c.must_top, *c.must_not)} | NEVER | SPA_ONLY | FAR
    assert named <= set(roster)
    assert {p.slug for p in roster.values() if p.setting == "spa"} == SPA_ONLY
    assert not roster["ghost-everything"].published
    assert "sciatica" in roster["bianca-rossi"].bio
    assert "sciatica" not in {c.slug for c in roster["bianca-rossi"].conditions}
    assert len(roster["gregory-hale"].conditions) >= 40
    assert [lic.state for lic in roster["wendy-park"].licenses] == ["NY"]
    assert roster["wendy-park"].offices[0].state == "NJ"
    assert len({c.id for c in CASES}) == len(CASES) >= 30
    assert set(XFAIL) <= {c.id for c in CASES}
    # Everyone but the decoys is listed somewhere.
    listed = set()
    for near in ("New Jersey", "New York", "Pennsylvania"):
        body = client.get("/api/v1/search", query_string={"near": near, "per_page": 50}).json
        listed |= {r["slug"] for r in body["results"]}
    assert listed == set(roster) - NEVER


def test_among_equal_needs_accepting_then_nearer_come_first(client, roster):
    """The ranking rule (README, "Search"): those who fit a spa need equally (they list
    relaxation, a short list, a setting that offers spa) come accepting first, then the nearer,
    whether spa or "spa & medical"; the one not accepting new clients next door comes after
    them all."""
    body = client.get("/api/v1/search", query_string={"q": "relaxing gift for my mom",
                                                      "near": "Hoboken, NJ"}).json  # fmt: skip
    equal = [r for r in body["results"]
             if "Relaxation" in r["conditions"] and r["setting"] in ("spa", "both")
             and len(r["conditions"]) + len(r["modalities"]) <= 12]  # fmt: skip
    assert {r["slug"] for r in equal} >= {"mei-tanaka", "nora-quinn", "chloe-martin"}
    order = [
        (not r["accepting_new_clients"], not r["verified"], r["distance_miles"]) for r in equal
    ]
    assert order == sorted(order)
    assert equal[-1]["slug"] == "nora-quinn"


# -- the labelled needs (tests/relevance_set.py): each read as labelled --------------------------

SETTINGS_OF = {"M": "medical", "S": "spa"}


def read_as_labelled(need: str, wanted: tuple[str, ...], setting: str) -> tuple[bool, bool]:
    """(names one of the wanted entries, reads the labelled setting), for one labelled need."""
    found = interpret(need)
    named = {*found.conditions, *found.modalities, *found.red_flags}
    expected = SETTINGS_OF.get(setting)
    return bool(named & set(wanted)), expected is None or found.setting == expected


@pytest.mark.parametrize(("need", "wanted", "setting"), LABELLED, ids=[n for n, *_ in LABELLED])
def test_each_labelled_need_is_read_as_labelled(need, wanted, setting):
    names, in_setting = read_as_labelled(need, wanted, setting)
    assert names, f"{need!r} was read as {interpret(need)}, not as one of {wanted}"
    assert in_setting, f"{need!r} was read as {interpret(need).setting}, not {setting}"


#: The held-out set's accuracy as last measured (bench/relevance.py), less a little: a floor,
#: not a case-by-case check, so that its needs are never tuned on one by one.
HELD_OUT_READ_FLOOR = 0.72
HELD_OUT_SETTING_FLOOR = 0.80


def test_the_held_out_needs_are_read_as_well_as_measured():
    read = [read_as_labelled(need, wanted, setting) for need, wanted, setting in HELD_OUT]
    settled = [ok for (_, ok), (*_, setting) in zip(read, HELD_OUT, strict=True) if setting != "E"]
    assert sum(names for names, _ in read) / len(read) >= HELD_OUT_READ_FLOOR
    assert sum(settled) / len(settled) >= HELD_OUT_SETTING_FLOOR


def test_the_relevance_set_is_big_and_names_real_entries():
    assert len(LABELLED) + len(HELD_OUT) >= 400
    assert len(HELD_OUT) * 4 >= len(LABELLED) + len(HELD_OUT)  # a quarter held out
    needs = [need for need, *_ in (*LABELLED, *HELD_OUT)]
    assert len(set(needs)) == len(needs)
    for need, wanted, setting in (*LABELLED, *HELD_OUT):
        assert setting in ("M", "S", "E") and wanted, need
        assert all(slug in vocabulary.terms() for slug in wanted), need


# -- needs in Spanish (issue 29) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("need", "wanted", "setting"), LABELLED_ES, ids=[n for n, *_ in LABELLED_ES]
)
def test_each_labelled_spanish_need_is_read_as_labelled(need, wanted, setting):
    names, in_setting = read_as_labelled(need, wanted, setting)
    assert names, f"{need!r} was read as {interpret(need)}, not as one of {wanted}"
    assert in_setting, f"{need!r} was read as {interpret(need).setting}, not {setting}"


#: The Spanish held-out set as measured (bench/relevance.py: 31/32 read, 22/22 settings), less a
#: little: a floor, never a case-by-case check.
HELD_OUT_ES_READ_FLOOR = 0.85
HELD_OUT_ES_SETTING_FLOOR = 0.85


def test_the_spanish_held_out_needs_are_read_as_well_as_measured():
    read = [read_as_labelled(need, wanted, setting) for need, wanted, setting in HELD_OUT_ES]
    settled = [ok for (_, ok), (*_, s) in zip(read, HELD_OUT_ES, strict=True) if s != "E"]
    assert sum(names for names, _ in read) / len(read) >= HELD_OUT_ES_READ_FLOOR
    assert sum(settled) / len(settled) >= HELD_OUT_ES_SETTING_FLOOR


def test_the_spanish_set_is_big_and_names_real_entries():
    assert len(LABELLED_ES) + len(HELD_OUT_ES) >= 100
    needs = [need for need, *_ in (*LABELLED, *HELD_OUT, *LABELLED_ES, *HELD_OUT_ES)]
    assert len(set(needs)) == len(needs)
    for need, wanted, setting in (*LABELLED_ES, *HELD_OUT_ES):
        assert setting in ("M", "S", "E") and wanted, need
        assert all(slug in vocabulary.terms() for slug in wanted), need
