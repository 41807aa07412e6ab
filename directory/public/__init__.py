"""The pages anyone can read: home and the spa-or-medical guide."""

from flask import Blueprint, render_template

from directory import vocabulary
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


@bp.get("/guide")
def guide():
    medical = [t for t in map(vocabulary.terms().get, GUIDE_CONDITIONS) if t is not None]
    spa = [t for t in vocabulary.modalities() if t.setting == "spa"]
    return render_template("public/guide.html", medical_conditions=medical, spa_modalities=spa)
