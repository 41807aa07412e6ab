"""Import and export of practitioners (JSON Lines), through the CLI as an operator runs them."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from directory.audit import AuditEvent
from directory.db import db
from directory.practices.models import Tenant
from directory.practitioners.models import License, Practitioner, Specialty

ALEXA = {
    "slug": "alexa-marie",
    "tenant": "the-crafted-hand",
    "tenant_name": "The Crafted Hand",
    "name": "Alexa Marie",
    "credentials": "LMT",
    "email": "alexa@example.com",
    "setting": "medical",
    "headline": "Medical massage in Hoboken",
    "bio": "Ten years of clinical work.\nSciatica and frozen shoulders.",
    "published": True,
    "modalities": ["myofascial release", "PNF stretching"],
    "conditions": ["sciatica", "slipped disc"],
    "licenses": [
        {"state": "NJ", "number": "18KT01515000", "expires": "2028-11-30", "status": "verified"}
    ],
    "offices": [{"street": "51 Newark St", "city": "Hoboken", "state": "NJ", "zip": "07030"}],
}
BO = {
    "slug": "bo-chen",
    "tenant": "willow-day-spa",
    "tenant_name": "Willow Day Spa",
    "tenant_kind": "spa",
    "name": "Bo Chen",
    "setting": "spa",
    "published": True,
    "modalities": ["Swedish", "hot stone"],
    "conditions": ["stress"],
    "licenses": [{"state": "NY", "number": "028941", "expires": "2027-06-30"}],
    "offices": [{"street": "200 W 34th St", "city": "New York", "state": "NY", "zip": "10001"}],
}


def write_lines(tmp_path, *records, name="in.jsonl") -> str:
    path = tmp_path / name
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
        encoding="utf-8",
    )
    return str(path)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_creates_tenants_practitioners_and_links(runner, tmp_path):
    result = runner.invoke(args=["practitioners", "import", write_lines(tmp_path, ALEXA, BO)])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output and "2 practice(s) created" in result.output
    alexa = db.session.scalar(select(Practitioner).where(Practitioner.slug == "alexa-marie"))
    assert alexa.tenant.name == "The Crafted Hand" and alexa.tenant.kind == "practice"
    assert [c.slug for c in alexa.conditions] == ["herniated-disc", "sciatica"]
    assert {m.slug for m in alexa.modalities} >= {"myofascial-release"}
    assert alexa.licenses[0].status == "verified"
    office = alexa.offices[0]
    assert (office.city, office.state, office.zip) == ("Hoboken", "NJ", "07030")
    assert abs(office.lat - 40.7445) < 0.01 and abs(office.lon + 74.0329) < 0.01
    bo = db.session.scalar(select(Practitioner).where(Practitioner.slug == "bo-chen"))
    assert bo.tenant.kind == "spa" and bo.licenses[0].status == "pending"


def test_import_is_recorded_in_the_audit_log_with_verified_licenses_as_admin_actions(
    runner, tmp_path
):
    runner.invoke(args=["practitioners", "import", write_lines(tmp_path, ALEXA, BO)])
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    # Licenses are added as the editor adds them (audited), then the file's verification.
    added = [(e.subject_id, e.details["state"]) for e in events if e.action == "license.added"]
    in_file = [(line["slug"], lic["state"]) for line in (ALEXA, BO) for lic in line["licenses"]]
    assert added == in_file
    assert [e.action for e in events if e.action != "license.added"] == [
        "license.verify", "practitioners.import", "practitioners.import"
    ]  # fmt: skip
    verify = next(e for e in events if e.action == "license.verify")
    assert verify.subject_id == "alexa-marie" and verify.details["state"] == "NJ"
    assert {e.actor_label for e in events} == {"cli:import"}
    # Every event names its practice, the summary too: one per practice, with its own counts.
    assert None not in {e.tenant_id for e in events}
    summaries = {e.tenant.slug: e.details for e in events if e.action == "practitioners.import"}
    assert sorted(summaries) == sorted({ALEXA["tenant"], BO["tenant"]})
    alexas = summaries[ALEXA["tenant"]]
    assert (alexas["created"], alexas["tenants_created"], alexas["verified_licenses"]) == (1, 1, 1)
    assert summaries[BO["tenant"]]["verified_licenses"] == 0


def test_one_bad_line_imports_nothing_and_names_the_line(runner, tmp_path):
    bad = {
        **BO,
        "slug": "carla-diaz",
        "licenses": [{"state": "NJ", "number": "12345", "expires": "2028-01-01"}],
    }
    path = write_lines(tmp_path, ALEXA, BO, bad)
    result = runner.invoke(args=["practitioners", "import", path])
    assert result.exit_code == 1
    assert "line 3: licenses[0].number:" in result.output
    assert "nothing was imported" in result.output
    assert count(Practitioner) == count(Tenant) == count(AuditEvent) == 0


BAD_LINES = [
    ("{not json", "(line)", "not valid JSON"),
    ("[1, 2]", "(line)", "must be a JSON object"),
    ({**ALEXA, "slug": "Alexa Marie"}, "slug", "lowercase"),
    ({k: v for k, v in ALEXA.items() if k != "name"}, "name", "is required"),
    ({**ALEXA, "setting": "sauna"}, "setting", "must be one of"),
    ({**ALEXA, "conditions": ["sciatica", "werewolf bite"]}, "conditions[1]", "werewolf bite"),
    ({**ALEXA, "modalities": ["reiki-ish"]}, "modalities[0]", "unknown modality"),
    ({**ALEXA, "conditions": ["swedish massage"]}, "conditions[0]", "unknown condition"),
    ({**ALEXA, "licences": []}, "licences", "unknown field"),
    (
        {**ALEXA, "licenses": [{"state": "XX", "number": "1", "expires": "2028-01-01"}]},
        "licenses[0].state",
        "not a US state",
    ),
    (
        {**ALEXA, "licenses": [{"state": "NJ", "number": "18KT01515000", "expires": "soon"}]},
        "licenses[0].expires",
        "date",
    ),
    (
        {
            **ALEXA,
            "licenses": [
                {
                    "state": "NJ",
                    "number": "18KT01515000",
                    "expires": "2028-01-01",
                    "status": "approved",
                }
            ],
        },
        "licenses[0].status",
        "must be one of",
    ),
    (
        {
            **ALEXA,
            "offices": [{"street": "1 Main", "city": "Hoboken", "state": "NY", "zip": "07030"}],
        },
        "offices[0].zip",
        "NJ",
    ),
    (
        {**ALEXA, "offices": [{"street": "1 Main", "city": "X", "state": "NJ", "zip": "00000"}]},
        "offices[0].zip",
        "00000",
    ),
    (
        {**ALEXA, "offices": [{"city": "Hoboken", "state": "NJ", "zip": "07030"}]},
        "offices[0].street",
        "is required",
    ),
    ({**ALEXA, "name": "Alexa\x00Marie"}, "name", "control characters"),
    ({**ALEXA, "headline": "x" * 161}, "headline", "longer than 160"),
    ({**ALEXA, "website": "javascript:alert(1)"}, "website", "http"),
    ({**ALEXA, "email": "not-an-email"}, "email", "email address"),
    ({**ALEXA, "published": "yes"}, "published", "true or false"),
    ({**ALEXA, "price_min": 200, "price_max": 100}, "price_max", "price_min"),
    ({**ALEXA, "session_lengths": [60, 5]}, "session_lengths", "minutes"),
    ({**ALEXA, "tenant_name": None, "tenant": "new-place"}, "tenant_name", "must be text"),
    ({k: v for k, v in ALEXA.items() if k != "tenant_name"}, "tenant_name", "new practice"),
]


@pytest.mark.parametrize(("line", "field", "message"), BAD_LINES)
def test_each_invalid_field_is_reported_with_line_and_field(runner, tmp_path, line, field, message):
    path = write_lines(tmp_path, BO, line)
    result = runner.invoke(args=["practitioners", "import", path])
    assert result.exit_code == 1
    assert f"line 2: {field}:" in result.output, result.output
    assert message in result.output
    assert count(Practitioner) == 0


def test_every_error_is_reported_not_just_the_first(runner, tmp_path):
    path = write_lines(
        tmp_path, {**ALEXA, "setting": "x"}, BO, {**BO, "slug": "x", "conditions": ["nope"]}
    )
    result = runner.invoke(args=["practitioners", "import", path])
    assert "line 1: setting:" in result.output
    assert "line 3: conditions[0]:" in result.output
    assert "2 error(s)" in result.output


def test_duplicate_slug_in_one_file(runner, tmp_path):
    result = runner.invoke(args=["practitioners", "import", write_lines(tmp_path, ALEXA, ALEXA)])
    assert result.exit_code == 1
    assert "line 2: slug: 'alexa-marie' already appears on line 1" in result.output


def test_conflicting_tenant_names_in_one_file(runner, tmp_path):
    other = {**BO, "tenant": "the-crafted-hand", "tenant_name": "Crafted Hands LLC"}
    result = runner.invoke(args=["practitioners", "import", write_lines(tmp_path, ALEXA, other)])
    assert result.exit_code == 1
    assert "line 2: tenant_name:" in result.output


def test_upsert_by_slug_updates_replaces_lists_and_keeps_absent_fields(runner, tmp_path):
    runner.invoke(args=["practitioners", "import", write_lines(tmp_path, ALEXA)])
    update = {
        "slug": "alexa-marie",
        "tenant": "the-crafted-hand",
        "name": "Alexa M. Marie",
        "setting": "both",
        "conditions": ["frozen shoulder"],
    }
    result = runner.invoke(args=["practitioners", "import", write_lines(tmp_path, update)])
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output
    alexa = db.session.scalar(select(Practitioner))
    assert alexa.name == "Alexa M. Marie" and alexa.setting == "both"
    assert [c.slug for c in alexa.conditions] == ["frozen-shoulder"]
    assert alexa.headline == "Medical massage in Hoboken"  # not in the line: kept
    assert len(alexa.licenses) == 1 and len(alexa.offices) == 1
    assert count(Practitioner) == 1


def test_a_slug_of_another_practice_is_refused(runner, tmp_path):
    runner.invoke(args=["practitioners", "import", write_lines(tmp_path, ALEXA)])
    moved = {**ALEXA, "tenant": "willow-day-spa", "tenant_name": "Willow Day Spa"}
    result = runner.invoke(args=["practitioners", "import", write_lines(tmp_path, moved)])
    assert result.exit_code == 1
    assert "belongs to practice 'the-crafted-hand'" in result.output


def test_import_reads_stdin(runner):
    result = runner.invoke(args=["practitioners", "import", "-"], input=json.dumps(ALEXA) + "\n")
    assert result.exit_code == 0, result.output
    assert count(Practitioner) == 1


def test_blank_lines_are_skipped_and_line_numbers_stay_physical(runner, tmp_path):
    path = write_lines(tmp_path, ALEXA, "", {**BO, "setting": "x"})
    result = runner.invoke(args=["practitioners", "import", path])
    assert "line 3: setting:" in result.output


def test_export_import_export_is_identical(runner, tmp_path, app):
    full = {
        **ALEXA,
        "languages": ["Spanish", "Portuguese"],
        "price_min": 90,
        "price_max": 140,
        "session_lengths": [60, 90],
        "insurance_notes": "Auto (PIP) and workers' comp.",
        "accepts_physician_referrals": True,
        "hsa_fsa": True,
        "in_home": True,
        "accepting_new_clients": False,
        "phone": "(201) 555-0143",
        "website": "https://alexa.example.com",
        "licenses": [
            {"state": "NY", "number": "028941", "expires": "2027-01-31", "status": "rejected"},
            *ALEXA["licenses"],
        ],
        # Every state of a certificate: verified, one that lapsed (it still reads back),
        # pending with neither date, rejected.
        "specialties": [
            PRENATAL, GERIATRIC, CLT,
            {"kind": "oncology", "issuer": "Tracy Walton & Associates", "number": "TW-1",
             "issued": "2019-03-01", "expires": "2021-03-01", "status": "verified"},
        ],
    }  # fmt: skip
    runner.invoke(args=["practitioners", "import", write_lines(tmp_path, full, BO)])
    first = tmp_path / "first.jsonl"
    assert runner.invoke(args=["practitioners", "export", str(first)]).exit_code == 0

    # Into an empty database (a new app on a fresh instance and database), then out again.
    from tests.conftest import DATABASE_URL, _prepare_database, make_app

    if DATABASE_URL:
        db.session.remove()  # end this test's transaction before emptying the shared database
        other = app
    else:
        other = make_app(tmp_path / "b")
    with other.app_context():
        _prepare_database()
        other_runner = other.test_cli_runner()
        result = other_runner.invoke(args=["practitioners", "import", str(first)])
        assert result.exit_code == 0, result.output
        second = tmp_path / "second.jsonl"
        assert other_runner.invoke(args=["practitioners", "export", str(second)]).exit_code == 0
    assert first.read_text() == second.read_text()
    lines = first.read_text().splitlines()
    assert [json.loads(line)["slug"] for line in lines] == ["alexa-marie", "bo-chen"]
    exported = json.loads(lines[0])
    assert exported["licenses"][0]["state"] == "NJ" and exported["languages"] == [
        "Spanish",
        "Portuguese",
    ]
    assert exported["specialties"] == [
        CLT,
        {"kind": "geriatric", "issuer": "Day-Break Geriatric Massage Institute", "number": "DB-9",
         "issued": None, "expires": None, "status": "rejected"},
        {"kind": "oncology", "issuer": "Tracy Walton & Associates", "number": "TW-1",
         "issued": "2019-03-01", "expires": "2021-03-01", "status": "verified"},
        {"kind": "prenatal", "issuer": PRENATAL["issuer"], "number": "", "issued": None,
         "expires": None, "status": "pending"},
    ]  # fmt: skip
    assert json.loads(lines[1])["specialties"] == []


CLT = {"kind": "clt", "issuer": "Klose Training", "number": "K-1234", "issued": "2024-01-10",
       "expires": "2028-05-31", "status": "verified"}  # fmt: skip
PRENATAL = {"kind": "prenatal", "issuer": "Carole Osborne Pre- and Perinatal Massage Therapy"}
GERIATRIC = {"kind": "geriatric", "issuer": "Day-Break Geriatric Massage Institute",
             "number": "DB-9", "status": "rejected"}  # fmt: skip


def _import(runner, tmp_path, *lines):
    return runner.invoke(args=["practitioners", "import", write_lines(tmp_path, *lines)])


def _specialties(slug: str = "alexa-marie") -> dict[str, Specialty]:
    db.session.expire_all()
    p = db.session.scalar(select(Practitioner).where(Practitioner.slug == slug))
    return {s.kind: s for s in p.specialties}


def test_specialties_import_with_their_decisions_audited_as_an_admins(runner, tmp_path):
    line = {**ALEXA, "specialties": [CLT, PRENATAL, GERIATRIC]}
    result = runner.invoke(args=["practitioners", "import", write_lines(tmp_path, line)])
    assert result.exit_code == 0, result.output
    held = _specialties()
    clt = held["clt"]
    assert (clt.issuer, clt.number, clt.status) == ("Klose Training", "K-1234", "verified")
    assert (clt.issued_on, clt.expires_on) == (date(2024, 1, 10), date(2028, 5, 31))
    assert clt.reviewed_at is not None and clt.document is None
    assert held["prenatal"].status == "pending"  # the default
    assert (held["prenatal"].number, held["prenatal"].expires_on) == ("", None)
    assert held["geriatric"].status == "rejected"
    # Added as the editor adds them, then the file's decisions, as an admin's (not pending's).
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    added = [e.details["kind"] for e in events if e.action == "specialty.added"]
    assert added == ["clt", "prenatal", "geriatric"]
    decided = {e.action: e for e in events if e.action in ("specialty.verified",
                                                           "specialty.rejected")}  # fmt: skip
    assert set(decided) == {"specialty.verified", "specialty.rejected"}
    verified = decided["specialty.verified"]
    assert (verified.actor_label, verified.subject_id) == ("cli:import", "alexa-marie")
    assert verified.details["kind"] == "clt" and verified.details["source"].endswith("in.jsonl")
    assert decided["specialty.rejected"].details["kind"] == "geriatric"
    summary = next(e for e in events if e.action == "practitioners.import")
    assert summary.details["verified_specialties"] == 1


def test_a_present_specialty_list_replaces_the_stored_one_and_an_absent_one_keeps_it(
    runner, tmp_path
):
    _import(runner, tmp_path, {**ALEXA, "specialties": [CLT, PRENATAL]})
    clt = _specialties()["clt"]
    clt.document = "evidence.pdf"  # uploaded in the editor since
    reviewed_at = clt.reviewed_at
    db.session.commit()

    # The same certificate again keeps its review and its document; one not in the list goes.
    result = _import(runner, tmp_path, {**ALEXA, "specialties": [CLT]})
    assert result.exit_code == 0, result.output
    held = _specialties()
    assert set(held) == {"clt"}
    assert (held["clt"].reviewed_at, held["clt"].document) == (reviewed_at, "evidence.pdf")
    verifies = select(func.count()).where(AuditEvent.action == "specialty.verified")
    assert db.session.scalar(verifies) == 1
    removed = select(func.count()).where(AuditEvent.action == "specialty.removed")
    assert db.session.scalar(removed) == 1

    # A line without the key leaves them alone; a changed one goes back to its file's status.
    _import(runner, tmp_path, ALEXA)
    assert set(_specialties()) == {"clt"}
    renewed = {**CLT, "expires": "2030-05-31", "status": "pending"}
    _import(runner, tmp_path, {**ALEXA, "specialties": [renewed]})
    clt = _specialties()["clt"]
    assert (clt.status, clt.expires_on, clt.reviewed_at) == ("pending", date(2030, 5, 31), None)
    _import(runner, tmp_path, {**ALEXA, "specialties": []})
    assert _specialties() == {}


def _with(**changes) -> dict:
    return {**ALEXA, "specialties": [PRENATAL, {**CLT, **changes}]}


SPECIALTY_ERRORS = [
    (_with(kind="reiki"), "specialties[1].kind", "unknown specialty 'reiki'"),
    (_with(kind="prenatal"), "specialties[1].kind", "a second 'prenatal'"),
    (_with(expires="31/05/2028"), "specialties[1].expires", "'31/05/2028' is not a date"),
    (_with(issued="soon"), "specialties[1].issued", "'soon' is not a date"),
    (_with(status="approved"), "specialties[1].status", "must be one of"),
    (_with(status="expired"), "specialties[1].status", "must be one of"),
    (_with(document="clt.pdf"), "specialties[1].document", "unknown field"),
    (_with(issuer=""), "specialties[1]", "Say who issued"),
    (_with(issuer=7), "specialties[1].issuer", "must be text"),
    (_with(number="K" * 61), "specialties[1]", "under 60"),
    (_with(issued="2029-01-01", expires="2028-05-31"), "specialties[1]", "in the future"),
    (_with(issued="2024-01-10", expires="2024-01-01"), "specialties[1]", "after the issue date"),
    ({**ALEXA, "specialties": "clt"}, "specialties", "must be a list"),
    ({**ALEXA, "specialties": ["clt"]}, "specialties[0]", "must be an object"),
]


@pytest.mark.parametrize(("line", "field", "message"), SPECIALTY_ERRORS)
def test_each_invalid_specialty_is_reported_and_nothing_is_imported(
    runner, tmp_path, line, field, message
):
    path = write_lines(tmp_path, BO, line)
    result = runner.invoke(args=["practitioners", "import", path])
    assert result.exit_code == 1
    assert f"line 2: {field}: " in result.output, result.output
    assert message in result.output
    assert "nothing was imported" in result.output
    assert count(Practitioner) == count(Specialty) == count(AuditEvent) == 0


def test_export_to_stdout(runner, tmp_path):
    runner.invoke(args=["practitioners", "import", write_lines(tmp_path, ALEXA)])
    result = runner.invoke(args=["practitioners", "export", "-"])
    assert json.loads(result.output.splitlines()[0])["slug"] == "alexa-marie"


def test_reimporting_the_same_license_keeps_its_review(runner, tmp_path):
    path = write_lines(tmp_path, ALEXA)
    runner.invoke(args=["practitioners", "import", path])
    reviewed_at = db.session.scalar(select(License.reviewed_at))
    runner.invoke(args=["practitioners", "import", path])
    db.session.expire_all()
    assert db.session.scalar(select(License.reviewed_at)) == reviewed_at
    verifies = select(func.count()).where(AuditEvent.action == "license.verify")
    assert db.session.scalar(verifies) == 1


# -- one field table: whatever the editor saves, export writes and import reads back -----------

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from directory import vocabulary  # noqa: E402
from directory.practitioners import fields, operations, transfer  # noqa: E402
from directory.practitioners.forms import SESSION_LENGTHS  # noqa: E402
from directory.validation import check_email, check_https_url, check_phone, check_url  # noqa: E402

_LETTERS = "abcdefghijklmnopqrstuvwxyzéñüøçABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _value(f: fields.ProfileField):
    """Anything the editor accepts for a field of the table (raw input, before cleaning)."""
    if f.kind == "bool":
        return st.booleans()
    if f.kind == "int":
        return st.none() | st.integers(f.low, f.high)
    if f.kind == "choice":
        return st.sampled_from(f.choices)
    if f.kind == "minutes":  # the editor offers checkboxes of these lengths
        return st.lists(st.sampled_from(SESSION_LENGTHS), unique=True)
    if f.kind == "languages":
        name = st.text(_LETTERS, min_size=1, max_size=f.max_length)
        return st.lists(name, max_size=f.max_items)
    if f.check is check_email:
        return st.from_regex(r"[a-z0-9._+-]{1,40}@[a-z0-9-]{1,30}\.[a-z]{2,6}", fullmatch=True)
    if f.check is check_phone:
        return st.from_regex(r"\+?1? ?\(?[0-9]{3}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}", fullmatch=True)
    if f.check is check_url:
        return st.from_regex(r"https?://[a-z0-9-]{1,40}\.[a-z]{2,6}(/[a-z0-9._~-]{0,60})?",
                             fullmatch=True)  # fmt: skip
    if f.check is check_https_url:
        return st.from_regex(r"https://[a-z0-9-]{1,40}\.[a-z]{2,6}(/[a-z0-9._~-]{0,60})?",
                             fullmatch=True)  # fmt: skip
    characters = st.characters(
        exclude_categories=("Cc", "Cs"), include_characters="\n\t" if f.multiline else ""
    )
    return st.text(characters, min_size=1 if f.required else 0, max_size=f.max_length)


def _cleaned(f: fields.ProfileField, raw):
    """What the editor's form makes of the raw input (assume it accepts it)."""
    try:
        if f.kind == "text":
            return fields.parse_text(f, raw)
        if f.kind == "languages":
            return fields.parse_languages(f, raw)
    except ValueError:
        assume(False)
    return raw


_EDITABLE = [f for f in fields.FIELDS if f.editable]
_PROFILES = st.fixed_dictionaries({f.name: _value(f) for f in _EDITABLE}).map(
    lambda raw: {f.name: _cleaned(f, raw[f.name]) for f in _EDITABLE}
)


def _round_trip(changes: dict) -> tuple[dict, dict]:
    """Save through the editor's operation, export, import into an empty database, export."""
    from directory.practices.models import Tenant

    db.session.execute(db.delete(Practitioner))
    db.session.execute(db.delete(Tenant))
    tenant = Tenant(slug="round-trip", name="Round Trip")
    practitioner = Practitioner(slug="round-trip-1", tenant=tenant, name="x", setting="spa")
    db.session.add(practitioner)
    db.session.flush()
    operations.update_profile(practitioner, changes)
    db.session.commit()
    first = transfer.export_record(practitioner)
    line = json.dumps(first, ensure_ascii=False)
    db.session.execute(db.delete(Practitioner))
    db.session.execute(db.delete(Tenant))
    db.session.commit()
    db.session.expunge_all()
    transfer.import_lines([line])
    db.session.commit()
    again = db.session.scalar(select(Practitioner).where(Practitioner.slug == "round-trip-1"))
    return first, transfer.export_record(again)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(profile=_PROFILES, data=st.data())
def test_whatever_the_editor_saves_export_writes_and_import_reads_back(app, profile, data):
    assume(fields.check_prices(profile["price_min"], profile["price_max"]) is None)
    slugs = [t.slug for t in vocabulary.conditions()]
    profile["conditions"] = data.draw(st.lists(st.sampled_from(slugs), unique=True, max_size=8))
    first, again = _round_trip(profile)
    assert again == first
    for f in _EDITABLE:
        assert first[f.io_key] == profile[f.name] or f.name == "session_lengths"
    assert first["session_lengths"] == sorted(profile["session_lengths"])


def test_a_line_at_every_maximum_length_round_trips(app):
    longest = {}
    for f in _EDITABLE:
        if f.kind == "text" and f.check is None:
            longest[f.name] = "\u00e9" * f.max_length
        elif f.check is check_email:
            longest[f.name] = "a" * (f.max_length - len("@example.com")) + "@example.com"
        elif f.check in (check_url, check_https_url):
            longest[f.name] = "https://example.com/" + "a" * (f.max_length - 20)
        elif f.check is check_phone:
            longest[f.name] = "1" * f.max_length
        elif f.kind == "languages":
            longest[f.name] = [chr(ord("A") + i) + "a" * (f.max_length - 1)
                               for i in range(f.max_items)]  # fmt: skip
        elif f.kind == "int":
            longest[f.name] = f.high
        elif f.kind == "minutes":
            longest[f.name] = list(SESSION_LENGTHS)
        elif f.kind == "bool":
            longest[f.name] = True
        else:
            longest[f.name] = f.choices[-1]
    for name, value in longest.items():  # each really is the editor's maximum
        f = fields.BY_NAME[name]
        if f.kind == "text":
            assert len(fields.parse_text(f, value)) == f.max_length
    first, again = _round_trip(longest)
    assert again == first
    assert len(first["bio"]) == fields.BY_NAME["bio"].max_length
