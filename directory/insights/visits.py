"""Which requests count: a person's, not a bot's (by its user agent), not the warm-up's, and
not the listed practice's own team looking at its profiles."""

import re

from flask import current_app, request
from flask_login import current_user

from directory import tenancy, vocabulary, warmup
from directory.insights import tally

#: User agents that say they are robots: crawlers, link previews, uptime checks, headless
#: browsers.
BOTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|facebookexternalhit|preview|headless|lighthouse|"
    r"pingdom|uptime|monitor",
    re.IGNORECASE,
)


def _by_a_person() -> bool:
    if request.environ.get(warmup.ENVIRON_KEY):
        return False
    return not BOTS.search(request.headers.get("User-Agent", ""))


def _own_practices() -> list:
    """The signed-in user's memberships (none for a visitor: no query)."""
    if not current_user.is_authenticated:
        return []
    return tenancy.memberships_of(current_user)


def profile_viewed(practitioner) -> None:
    """Count a view of the profile's public page."""
    if not _by_a_person() or any(m.tenant_id == practitioner.tenant_id for m in _own_practices()):
        return
    tally.of(current_app).add([(practitioner.id, tally.this_week(), "view", "", "")])


def need_key(conditions, modalities) -> str:
    """The need a search counts under: its first condition, else its first modality (vocabulary
    slugs), else ""."""
    known = vocabulary.terms()
    return next((s for s in (*conditions, *modalities) if s in known), "")[: tally.MAX_KEY]


def results_shown(outcome) -> None:
    """Count an appearance for each profile on the page of results shown."""
    if not outcome.shown or not _by_a_person():
        return
    own = {m.tenant.slug for m in _own_practices()}
    need = need_key(
        (*outcome.interpretation.conditions, *outcome.params.conditions),
        (*outcome.interpretation.modalities, *outcome.params.modalities),
    )
    place = tally.place_key(outcome.location)
    week = tally.this_week()
    tally.of(current_app).add(
        (pid, week, "appearance", need, place)
        for pid, row in zip(outcome.shown, outcome.results, strict=True)
        if row["tenant"]["slug"] not in own
    )
