"""The pages anyone can read: home, the spa-or-medical guide, and what we keep (privacy)."""

from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from directory import vocabulary
from directory.interpret import interpret
from directory.practitioners import profiles

bp = Blueprint("public", __name__)

#: What the guide names as typical medical-massage problems, most familiar first.
GUIDE_CONDITIONS = (
    "lower-back-pain", "sciatica", "herniated-disc", "frozen-shoulder", "plantar-fasciitis",
    "carpal-tunnel-syndrome", "tennis-elbow", "whiplash", "tmj-disorder", "scoliosis",
    "migraine", "post-surgical-recovery",
)  # fmt: skip


@bp.get("/")
def index():
    return render_template("public/index.html", featured=profiles.recently_updated())


@bp.get("/privacy")
def privacy():
    return render_template("public/privacy.html")


@bp.get("/guide")
def guide(answers=None, errors=None, status=200):
    medical = [t for t in map(vocabulary.terms().get, GUIDE_CONDITIONS) if t is not None]
    spa = [t for t in vocabulary.modalities() if t.setting == "spa"]
    page = render_template(
        "public/guide.html", medical_conditions=medical, spa_modalities=spa,
        aims=AIMS, areas=AREAS, pressures=PRESSURES, answers=answers or {}, errors=errors or {},
    )  # fmt: skip
    return page, status


#: The guide's questions. Each answer is (value, label, words for the search): the words are
#: what a client would type, read by the need interpreter like anything typed.
AIMS = (
    ("relax", _l("Relax and unwind"), "spa", "relaxing massage"),
    ("fix", _l("Fix a problem: pain, stiffness, an injury, surgery"), "medical", ""),
    ("unsure", _l("I am not sure"), "", ""),
)
AREAS = (
    ("", _l("Nothing in particular"), ""),
    ("lower-back", _l("Lower back"), "lower back pain"),
    ("neck", _l("Neck"), "neck pain"),
    ("shoulder", _l("Shoulder"), "shoulder pain"),
    ("leg", _l("Pain down one leg (sciatica)"), "sciatica"),
    ("headache", _l("Headaches"), "tension headache"),
    ("jaw", _l("Jaw (clenching, clicking)"), "jaw clenching"),
    ("hands", _l("Hands or wrists (numb, tingling)"), "numb fingers"),
    ("feet", _l("Feet or heels"), "heel pain"),
    ("surgery", _l("Swelling or stiffness after surgery"), "swelling after surgery"),
    ("stress", _l("Stress"), "stress relief"),
    ("sleep", _l("Sleep"), "trouble sleeping"),
)
PRESSURES = (
    ("", _l("No preference"), ""),
    ("light", _l("Light and gentle"), ""),
    ("medium", _l("Medium"), ""),
    ("firm", _l("Firm, deep"), "deep tissue"),
)
#: The setting a pressure points to when the aim does not say: gentle work is the spa's,
#: firm, deep work the medical therapist's.
PRESSURE_SETTINGS = {"light": "spa", "firm": "medical"}


def guide_search(answers) -> tuple[dict[str, str] | None, dict[str, str]]:
    """The search the guide's answers call for: (query string, None errors) or (None, errors
    by question). A plain function: the view only redirects."""
    errors = {}
    aims = {value: (setting, words) for value, _label, setting, words in AIMS}
    areas = {value: words for value, _label, words in AREAS}
    pressures = {value: words for value, _label, words in PRESSURES}
    aim, area = answers.get("aim", ""), answers.get("area", "")
    pressure, near = answers.get("pressure", ""), " ".join(answers.get("near", "").split())
    if aim not in aims:
        errors["aim"] = _("Choose what you want from the massage.")
    if area not in areas:
        errors["area"] = _("Choose one of the areas listed.")
    if pressure not in pressures:
        errors["pressure"] = _("Choose one of the pressures listed.")
    if len(near) > 100:
        errors["near"] = _("A place is a city and state or a ZIP code (at most 100 characters).")
    if errors:
        return None, errors
    setting, aim_words = aims[aim]
    # A problem named by area speaks for itself; "relax" alone is the spa need. The pressure
    # names a modality ("deep tissue") only when no area does: beside one it would list
    # everyone who offers the modality, whatever the problem.
    words = [areas[area] or aim_words, "" if areas[area] else pressures[pressure]]
    # The setting: the aim's, else the pressure's. A need that names its own setting
    # ("sciatica" is medical) overrides one that contradicts it: "relax" + sciatica searched
    # spa therapists under a "Medical massage for sciatica" heading.
    setting = setting or PRESSURE_SETTINGS.get(pressure, "")
    named = interpret(areas[area]).setting if areas[area] else None
    if named and setting and setting != named:
        setting = named
    query = {"q": " ".join(w for w in words if w), "near": near, "setting": setting}
    return {k: v for k, v in query.items() if v}, {}


@bp.get("/guide/find")
def guide_find():
    """The guide's questions answered: on to the search they call for."""
    query, errors = guide_search(request.args)
    if errors:
        return guide(answers=request.args, errors=errors, status=400)
    return redirect(url_for("search.index") + ("?" + urlencode(query) if query else ""))
