"""What a therapist needs to know about their own profile: is it visible, and if not exactly why;
how complete is it; may it be published. Plain functions over a loaded Practitioner."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from directory import licensing
from directory.practitioners.models import Practitioner

#: Effects of an issue, from worst to mildest.
HIDDEN = "hidden"  # no public page and not in search
UNLISTED = "unlisted"  # public page, but the office (or the whole profile) is not in search
BADGE = "badge"  # listed, only the Verified badge is missing


@dataclass(frozen=True)
class Issue:
    code: str
    effect: str
    message: str


@dataclass(frozen=True)
class Visibility:
    #: The public page /p/<slug> exists (DESIGN rule 1).
    public: bool
    #: At least one office can be found in search (rules 1 and 2).
    searchable: bool
    issues: list[Issue] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.public and self.searchable:
            return _("Public and in search")
        if self.public:
            return _("Public page only: not in search")
        return _("Not public")


def _state_name(code: str) -> str:
    state_rule = licensing.rule(code)
    return state_rule.name if state_rule else code


def visibility(practitioner: Practitioner, on: date | None = None) -> Visibility:
    """Whether the profile can be seen and found, with every reason it cannot, worst first."""
    p = practitioner
    on = on or licensing.today()
    issues: list[Issue] = []
    if not p.published:
        issues.append(
            Issue(
                "unpublished",
                HIDDEN,
                "Not published: only you and your practice can see it. Publish it when ready.",
            )
        )
    if p.suspended:
        reason = p.suspended_reason or "no reason was given"
        issues.append(
            Issue("suspended", HIDDEN, _("Suspended by the directory: %(reason)s.", reason=reason))
        )
    if not p.tenant.is_active:
        reason = f": {p.tenant.status_reason}" if p.tenant.status_reason else ""
        issues.append(
            Issue(
                "practice_suspended",
                HIDDEN,
                _(
                    "Your practice %(name)s is suspended%(reason)s. "
                    "None of its profiles are shown until it is reinstated.",
                    name=p.tenant.name,
                    reason=reason,
                ),
            )
        )
    if not p.licenses:
        issues.append(
            Issue(
                "no_license",
                UNLISTED,
                _(
                    "No license on file: an office is listed in search only in a state where you "
                    "hold a current license."
                ),
            )
        )
    if not p.offices:
        issues.append(
            Issue("no_office", UNLISTED, _("No office: add one so clients near you can find you."))
        )
    by_state = {lic.state: lic for lic in p.licenses}
    first_office_in = {}
    for office in p.offices:
        first_office_in.setdefault(office.state, office)
    for state, office in sorted(first_office_in.items()):
        if licensing.may_list_office(office, p.licenses, on):
            continue
        name = _state_name(state)
        lic = by_state.get(state)
        if lic is None:
            why = _("no %(state)s license on file", state=name)
        elif licensing.status(lic, on) == "expired":
            why = _("your %(state)s license expired on %(day)s", state=name,
                    day=lic.expires_on.isoformat())  # fmt: skip
        else:
            why = _("your %(state)s license could not be verified", state=name)
        cities = ", ".join(sorted({o.city for o in p.offices if o.state == state}))
        issues.append(
            Issue(
                "no_current_license",
                UNLISTED,
                _(
                    "No current license for %(state)s (%(why)s): your office in %(cities)s "
                    "is not listed in search.",
                    state=name,
                    why=why,
                    cities=cities,
                ),
            )
        )
    for lic in p.licenses:
        if licensing.status(lic, on) == "pending":
            issues.append(
                Issue(
                    "pending",
                    BADGE,
                    _(
                        "Your %(state)s license is pending verification. This only affects the "
                        "Verified badge: your offices there are listed meanwhile.",
                        state=_state_name(lic.state),
                    ),
                )
            )
    public = p.is_publicly_visible
    searchable = public and bool(licensing.listed_offices(p, on))
    return Visibility(public=public, searchable=searchable, issues=issues)


@dataclass(frozen=True)
class Completeness:
    done: int
    total: int
    missing: list[str]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total)


def completeness(practitioner: Practitioner) -> Completeness:
    """Which of the things clients look for the profile has, and what is missing."""
    p = practitioner
    contact = bool(p.contact_email or p.phone or p.website)
    checks = [
        (_("a headline"), bool(p.headline)),
        (_("a bio"), bool(p.bio)),
        (_("at least one condition"), bool(p.conditions)),
        (_("at least one modality"), bool(p.modalities)),
        (_("an office"), bool(p.offices)),
        (_("a license"), bool(p.licenses)),
        (_("a way to contact you (email, phone or website)"), contact),
    ]
    missing = [label for label, ok in checks if not ok]
    return Completeness(done=len(checks) - len(missing), total=len(checks), missing=missing)


def publish_blockers(practitioner: Practitioner) -> list[str]:
    """Why the profile may not be published yet; empty when it may."""
    p = practitioner
    blockers = []
    if p.suspended:
        blockers.append(_("It is suspended by the directory."))
    if not p.headline:
        blockers.append(_("Add a headline."))
    if not p.licenses:
        blockers.append(_("Add your license."))
    if not (p.contact_email or p.phone or p.website):
        blockers.append(_("Add a way to contact you (email, phone or website)."))
    return blockers
