"""The authorization matrix (tests/authz_matrix.toml): its world, its cases, and how an
outcome is judged. Used by test_authz_matrix.py and test_authz_writes.py."""

import io
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select, text

from directory.accounts import sessions
from directory.accounts.models import User
from directory.accounts.sessions import UserSession
from directory.db import db
from directory.practices import operations
from directory.practices.models import Invitation, Membership, Tenant
from directory.practitioners import roster_files
from directory.practitioners.models import License, Office, Practitioner, Specialty
from tests.conftest import _prepare_database, add_practitioner, make_app
from tests.people import build_crew, join, new_user

ROSTER = Path(__file__).parent / "data" / "rosters" / "tx-tdlr.csv"
#: A practice's own roster file, as its dashboard imports it: one new staff profile.
STAFF_CSV = "slug,name,setting\nnew-from-file,New From File,spa\n"
MATRIX = tomllib.loads(Path(__file__).with_name("authz_matrix.toml").read_text())
ACTORS = ("anonymous", "therapist", "manager", "owner", "outsider", "admin")
#: The outcomes after which nothing may have changed in the database.
DENIED = {"login", "400", "403", "404"}


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    path: str
    data: dict
    target: str
    actor: str
    expected: str
    #: Tables (or "session") a permitted request must change; see the matrix's header.
    changes: tuple[str, ...] = ()
    setup: str = ""

    @property
    def id(self) -> str:
        return f"{self.endpoint}-{self.method}-{self.target}-{self.actor}"

    @property
    def writes(self) -> bool:
        return self.method != "GET"


def cases() -> list[Case]:
    found = []
    for route in MATRIX["route"]:
        for target, expect in route["expect"].items():
            outcomes = expect.split()
            assert len(outcomes) == len(ACTORS), (route["endpoint"], target, expect)
            changes = route.get("changes", ())
            if isinstance(changes, dict):
                changes = changes.get(target, ())
            for actor, expected in zip(ACTORS, outcomes, strict=True):
                found.append(
                    Case(route["endpoint"], route["method"], route["path"],
                         route.get("data", {}), target, actor, expected, tuple(changes),
                         route.get("setup", ""))
                )  # fmt: skip
    return found


@contextmanager
def shared_world(tmp_path, **config):
    """(app, people) on one world for a whole module: an app on `tmp_path`, the two practices."""
    app = make_app(tmp_path, **config)
    with app.app_context():
        _prepare_database(with_vocabulary=True)
        people = build_world()
        yield app, people
        app.extensions["search_store"].close()
        db.session.remove()
        db.engine.dispose()


def build_world() -> dict:
    """Two practices side by side, as the matrix's header describes; committed."""
    world = build_crew(add_practitioner)
    hand, other = world["hand"], world["other"]
    later = "2030-01-31"
    for key, state, zip_code in (("p_bo", "NJ", "07302"), ("p_zed", "NY", "10001")):
        p = world[key]
        p.licenses.append(
            License(state=state, number="18KT01515000" if state == "NJ" else "028941",
                    status="verified", expires_on=date.fromisoformat(later))
        )  # fmt: skip
        db.session.commit()
        add_office(p, zip_code)
    for key in ("p_alexa", "p_bo", "p_zed"):
        add_specialty(world[key])
    world["yan"] = new_user("yan@example.com", "Yan Other")
    join(world["yan"], other, "therapist")
    world["admin"] = new_user("admin@example.com", "Ada Admin", is_admin=True)
    for tenant, inviter in ((hand, world["owner"]), (other, world["zed"])):
        membership = db.session.scalar(
            select(Membership).where(
                Membership.user_id == inviter.id, Membership.tenant_id == tenant.id
            )
        )
        operations.invite(membership, f"invited@{tenant.slug}.example", "therapist")
    # A second sign-in of Alexa's (another device of hers), for the routes that end one.
    world["alexa_session"] = sessions.start(world["alexa"], user_agent="Safari on her phone")
    db.session.commit()
    _add_inquiries(world)
    _add_listing(world)
    _add_organization(world)
    return world


#: The listing target's record: what a claimant gives as proof.
LISTING_NUMBER, LISTING_NAME = "MT0044444", "Lena Record"


def _add_listing(world: dict) -> None:
    """An unclaimed listing from public records (Lena Record, Austin) and Yan's claim on it,
    sent to the admins with a license document."""
    from directory.listings import seed
    from directory.listings.models import ListingClaim, ListingSource
    from directory.practitioners import documents

    home = seed.public_records_practice()
    lena = Practitioner(tenant_id=home.id, slug="lena-record-austin", name=LISTING_NAME,
                        setting=None, claimed=False, published=True, phone="5125550199",
                        accepting_new_clients=False)  # fmt: skip
    lena.licenses.append(License(state="TX", number=LISTING_NUMBER, status="pending"))
    db.session.add(lena)
    db.session.flush()
    db.session.add(ListingSource(practitioner_id=lena.id, source="nppes", key="1234567950",
                                 file_date=date(2026, 11, 30)))  # fmt: skip
    add_office(lena, "78701")
    claim = ListingClaim(user_id=world["yan"].id, practitioner_id=lena.id,
                         listing_name=LISTING_NAME, status="review", channel="document",
                         document=documents.keep(PDF, "pdf"))  # fmt: skip
    db.session.add(claim)
    db.session.commit()
    world["listing"], world["listing_claim"] = lena, claim.id


#: The organization target's record: what its authorized official gives as proof.
ORG_NPI, ORG_OFFICIAL = "1234567984", "Orla Official"


def _add_organization(world: dict) -> None:
    """An NPPES organization nobody has claimed (Nppes Hands, Austin); and Kai, a therapist
    who claimed their listing and asks to join The Crafted Hand and Other Spa (a request to
    each, `{join}`)."""
    from directory.listings.models import ListingSource, PracticeJoin

    org = Tenant(slug="nppes-hands", name="Nppes Hands", kind="practice", claimed=False)
    db.session.add(org)
    db.session.flush()
    db.session.add(ListingSource(
        tenant_id=org.id, source="nppes", key=ORG_NPI, file_date=date(2026, 11, 30),
        record={"street": "1 MAIN ST", "city": "AUSTIN", "state": "TX", "zip": "78701",
                "phone": "(512) 555-0177", "licenses": [], "official_first": "ORLA",
                "official_last": "OFFICIAL", "official_title": "OWNER",
                "official_phone": "(512) 555-0178"},
    ))  # fmt: skip
    kai = new_user("kai@example.com", "Kai Claimed")
    home = practice_of(kai, "kai-own", "Kai's Practice")
    profile = Practitioner(tenant_id=home.id, slug="kai-claimed", name="Kai Claimed",
                           user_id=kai.id, claimed=True, published=False)  # fmt: skip
    db.session.add(profile)
    db.session.flush()
    for key in ("hand", "other"):
        join_request = PracticeJoin(user_id=kai.id, tenant_id=world[key].id,
                                    practitioner_id=profile.id)  # fmt: skip
        db.session.add(join_request)
        db.session.flush()
        world[f"join_{key}"] = join_request.id
    db.session.commit()
    world["organization"] = org


def practice_of(user: User, slug: str, name: str) -> Tenant:
    tenant = Tenant(slug=slug, name=name)
    db.session.add(tenant)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, tenant_id=tenant.id, role="owner"))
    return tenant


#: Inquiry targets: the message each names, as (practice key, profile key or None).
INQUIRIES = {
    "inq_mine": ("hand", "p_alexa"),
    "inq_colleague": ("hand", "p_bo"),
    "inq_practice": ("hand", None),
    "inq_theirs": ("other", "p_zed"),
}
#: Sender-block targets: whose block each is (the same keys as INQUIRIES).
BLOCKS = {"blk_mine": "inq_mine", "blk_practice": "inq_practice", "blk_theirs": "inq_theirs"}


def _add_inquiries(world: dict) -> None:
    """A message to each of Alexa's, Bo's and Zed's profiles and to The Crafted Hand; and a
    blocked sender on Alexa's profile, on The Crafted Hand and on Zed's profile."""
    from directory.inquiries.models import Inquiry, SenderBlock

    for target, (practice_key, profile_key) in INQUIRIES.items():
        profile = world[profile_key] if profile_key else None
        inquiry = Inquiry(
            tenant_id=world[practice_key].id,
            practitioner_id=profile.id if profile else None,
            recipient_user_id=profile.user_id if profile else None,
            token_hash=f"{target:0<64}",
            sender_name="Casey Client",
            sender_email=f"casey+{target}@example.com",
            body="My lower back hurts after sitting all day.",
        )
        db.session.add(inquiry)
        db.session.flush()
        world[target] = inquiry.id
    for target, inquiry_target in BLOCKS.items():
        practice_key, profile_key = INQUIRIES[inquiry_target]
        block = SenderBlock(
            tenant_id=world[practice_key].id,
            practitioner_id=world[profile_key].id if profile_key else None,
            email_key=f"pest+{target}@example.com",
        )
        db.session.add(block)
        db.session.flush()
        world[target] = block.id
    db.session.commit()


def _target_profile(world: dict, case: Case) -> Practitioner:
    return world[{"mine": "p_alexa", "colleague": "p_bo", "theirs": "p_zed", "crossed": "p_bo"}
                 [case.target]]  # fmt: skip


def _set_password(world: dict, case: Case) -> None:
    from directory.accounts import passwords

    actor_user(world, case.actor).password_hash = passwords.hash_password(PASSWORD)


def _unpublished(world: dict, case: Case) -> None:
    profile = _target_profile(world, case)
    profile.published = False
    profile.headline = profile.headline or "Medical massage"
    profile.contact_email = profile.contact_email or "desk@example.com"


def _pending_license(world: dict, case: Case) -> None:
    for lic in _target_profile(world, case).licenses:
        lic.status, lic.reviewer_id, lic.reviewed_at = "pending", None, None


def _second_owner(world: dict, case: Case) -> None:
    for tenant in (world["hand"], world["other"]):
        db.session.add(Membership(user=new_user(f"co-owner@{tenant.slug}.example"),
                                  tenant=tenant, role="owner"))  # fmt: skip


def _no_profile(world: dict, case: Case) -> None:
    user = actor_user(world, case.actor)
    for profile in db.session.scalars(select(Practitioner).where(Practitioner.user_id == user.id)):
        profile.user_id = None


def _logo(world: dict, case: Case) -> None:
    for tenant in (world["hand"], world["other"]):
        tenant.logo = f"{'0' * 32}.png"


def _claim(world: dict, case: Case, **fields):
    from directory.listings.models import ListingClaim

    user = actor_user(world, case.actor)
    db.session.add(ListingClaim(user_id=user.id, practitioner_id=world["listing"].id,
                                listing_name=LISTING_NAME, **fields))  # fmt: skip


def _claim_open(world: dict, case: Case) -> None:
    _claim(world, case)


def _org_claim(world: dict, case: Case, **fields) -> None:
    from directory.listings.models import ListingClaim

    user = actor_user(world, case.actor)
    db.session.add(ListingClaim(user_id=user.id, tenant_id=world["organization"].id,
                                listing_name="Nppes Hands", **fields))  # fmt: skip


def _org_claim_open(world: dict, case: Case) -> None:
    _org_claim(world, case)


def _org_claim_texted(world: dict, case: Case) -> None:
    from datetime import timedelta

    from directory.db import now_utc
    from directory.listings import claims

    _org_claim(world, case, channel="sms", code_hash=claims.code_digest(CODE),
               code_expires_at=now_utc() + timedelta(minutes=10))  # fmt: skip


def _removal_texted_anonymously(world: dict, case: Case) -> None:
    """A removal without an account with a code out (`{code}`), for anyone who holds it."""
    from datetime import timedelta

    from directory.db import now_utc
    from directory.listings import claims
    from directory.listings.models import ListingClaim

    db.session.add(ListingClaim(
        practitioner_id=world["listing"].id, listing_name=LISTING_NAME, purpose="remove",
        requester_name=LISTING_NAME, requester_email="lena@example.net", channel="sms",
        code_hash=claims.code_digest(CODE), code_expires_at=now_utc() + timedelta(minutes=10),
    ))  # fmt: skip


def _removal_open(world: dict, case: Case) -> None:
    _claim(world, case, purpose="remove")


#: The code `setup = "claim_texted"` sends; `{code}` in `data`.
CODE = "424242"


def _claim_texted(world: dict, case: Case) -> None:
    from datetime import timedelta

    from directory.db import now_utc
    from directory.listings import claims

    _claim(world, case, channel="sms", code_hash=claims.code_digest(CODE),
           code_expires_at=now_utc() + timedelta(minutes=10))  # fmt: skip


def _letter_waiting(world: dict, case: Case) -> None:
    from directory.listings.models import ListingClaim

    db.session.add(ListingClaim(user_id=world["bo"].id, practitioner_id=world["listing"].id,
                                listing_name=LISTING_NAME, channel="letter"))  # fmt: skip


#: Steps that ready a fresh world for a route's permitted request (the route's `setup`).
SETUPS = {
    "claim_open": _claim_open,
    "org_claim_open": _org_claim_open,
    "org_claim_texted": _org_claim_texted,
    "removal_texted_anonymously": _removal_texted_anonymously,
    "removal_open": _removal_open,
    "claim_texted": _claim_texted,
    "letter_waiting": _letter_waiting,
    "password": _set_password,
    "unpublished": _unpublished,
    "pending_license": _pending_license,
    "second_owner": _second_owner,
    "no_profile": _no_profile,
    "logo": _logo,
}
#: The password `setup = "password"` gives the actor; `{password}` in `data`.
PASSWORD = "lavender-table-stretch-42"


def prepare(world: dict, case: Case) -> None:
    """Run the case's setup step, if any, and commit."""
    if case.setup:
        SETUPS[case.setup](world, case)
        db.session.commit()


def add_office(practitioner: Practitioner, zip_code: str) -> None:
    from directory import geo

    lat, lon, city, state = geo.zip_location(zip_code)
    practitioner.offices.append(
        Office(street="1 Main St", city=city, state=state, zip=zip_code, lat=lat, lon=lon)
    )
    db.session.commit()


#: A certificate as a therapist would upload it: a small, plain PDF.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def add_specialty(practitioner: Practitioner) -> None:
    """A pending CLT credential with its certificate on file (ready for an admin's decision)."""
    from directory.practitioners import documents

    name = f"{practitioner.id:032x}.pdf"
    documents.folder().mkdir(parents=True, exist_ok=True)
    (documents.folder() / name).write_bytes(PDF)
    practitioner.specialties.append(
        Specialty(kind="clt", issuer="Klose Training", number="K-1", document=name,
                  expires_on=date(2030, 1, 31))
    )  # fmt: skip
    db.session.commit()


def _membership_id(user: User, tenant: Tenant) -> int:
    return db.session.scalar(
        select(Membership.id).where(
            Membership.user_id == user.id, Membership.tenant_id == tenant.id
        )
    )


def _invitation_id(tenant: Tenant) -> int:
    return db.session.scalar(select(Invitation.id).where(Invitation.tenant_id == tenant.id))


def _alexa_session_id(world: dict) -> int | None:
    return db.session.scalar(
        select(UserSession.id).where(
            UserSession.key_hash == sessions._digest(world["alexa_session"].removeprefix("s:"))
        )
    )


def placeholders(world: dict, target: str) -> dict:
    """What {tenant}, {member}, {profile}, {license}... stand for with this target."""
    hand, other = world["hand"], world["other"]
    profiles = {"mine": "p_alexa", "colleague": "p_bo", "theirs": "p_zed", "crossed": "p_bo"}
    values: dict = {"password": PASSWORD, "code": CODE, "session": _alexa_session_id(world),
                    "roster_carried": roster_files.carry(STAFF_CSV)}  # fmt: skip
    if target in ("own", "other", "mixed"):
        tenant = other if target == "other" else hand
        member_of = world["bo"], hand
        if target in ("other", "mixed"):
            member_of = world["yan"], other
        values |= {
            "tenant": tenant.slug,
            "tenant_name": tenant.name,
            "organization": str(tenant.public_id),
            "member": _membership_id(*member_of),
            "invitation": _invitation_id(other if target in ("other", "mixed") else hand),
            # A profile of the practice in the path that its therapist (Alexa, Zed) holds.
            "profile_id": world["p_zed" if target == "other" else "p_alexa"].id,
            # A therapist's request to join the practice in the path (Other Spa's: mixed).
            "join": world["join_other" if target in ("other", "mixed") else "join_hand"],
        }
    elif target == "listing":
        values |= {
            "profile": world["listing"].slug,
            "claim": world["listing_claim"],
            "number": LISTING_NUMBER,
            "legal_name": LISTING_NAME,
        }
    elif target == "organization":
        values |= {"org": world["organization"].slug, "npi": ORG_NPI,
                   "official": ORG_OFFICIAL}  # fmt: skip
    elif target in INQUIRIES:
        values["inquiry"] = world[target]
    elif target in BLOCKS:
        values["block"] = world[target]
    elif target in profiles:
        p = db.session.get(Practitioner, world[profiles[target]].id)
        owner_of_children = "p_zed" if target == "crossed" else profiles[target]
        children = db.session.get(Practitioner, world[owner_of_children].id)
        values |= {
            "profile": p.slug,
            "service": str(p.public_id),
            "version": p.version,
            "license": children.licenses[0].id,
            "office": children.offices[0].id,
            "specialty": children.specialties[0].id,
        }
    return values


def actor_user(world: dict, actor: str) -> User | None:
    return {
        "anonymous": None,
        "therapist": world["alexa"],
        "manager": world["manager"],
        "owner": world["owner"],
        "outsider": world["zed"],
        "admin": world["admin"],
    }[actor]


def outcome(response) -> str:
    """The matrix's name for what a response means."""
    status = response.status_code
    if status in (301, 302, 303) and response.location.startswith(
        ("/login", "http://localhost/login")
    ):
        return "login"
    if status in (403, 404):
        return str(status)
    if status == 400:
        return "400"
    if 200 <= status < 400:
        return "ok"
    return f"unexpected {status}"


def png() -> tuple[io.BytesIO, str]:
    """A small image upload, as a browser sends a file field."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 90)).save(buffer, "PNG")
    buffer.seek(0)
    return buffer, "photo.png"


def form_data(case: Case, values: dict) -> dict:
    """The case's `data` with its placeholders filled ("@png" made an image, "@pdf" a PDF,
    "@roster" the Texas sample roster file, "@staff_csv" a practice's roster of one)."""
    files = {"@png": png, "@pdf": lambda: (io.BytesIO(PDF), "certificate.pdf"),
             "@roster": lambda: (io.BytesIO(ROSTER.read_bytes()), "tx-tdlr.csv"),
             "@staff_csv": lambda: (io.BytesIO(STAFF_CSV.encode()), "staff.csv")}  # fmt: skip
    return {
        key: files[value]() if value in files else str(value).format(**values)
        for key, value in case.data.items()
    }


def snapshot() -> dict[str, list]:
    """Every row of every table, to prove a denied request changed nothing."""
    db.session.expire_all()
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(text(f'SELECT * FROM "{table.name}"')).all()
        tables[table.name] = sorted(map(tuple, rows), key=repr)
    return tables
