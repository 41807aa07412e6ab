"""The interface in Spanish: /es/ addresses, the language switch and what remembers it, the
Accept-Language redirect, hreflang and sitemaps, Spanish text, dates and profiles, and the
catalogue itself (complete, and nothing English left on the client's pages)."""

import html as html_module
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from directory import i18n
from directory.accounts.models import User
from directory.db import db
from tests.conftest import add_practitioner, module_world, tag
from tests.test_relevance import build_roster

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"
BASE = "https://kneaded.example"


def _build():
    build_roster(add_practitioner)
    spanish = add_practitioner(
        "lucia-bilingue", name="Lucía Bilingüe", offices=["07030"],
        licenses=[("NJ", "verified", date(2027, 3, 4))], languages=["Spanish"],
        price_min=80, price_max=120,
        headline="Medical massage for back pain",
        headline_es="Masaje médico para el dolor de espalda",
        bio="I treat back pain.", bio_es="Trato el dolor de espalda.",
    )  # fmt: skip
    tag(spanish, conditions=["lower-back-pain", "sciatica"], modalities=["deep-tissue-massage"])
    add_practitioner(
        "only-english", name="Only English", offices=["07030"],
        licenses=[("NJ", "verified", None)], headline="Sports massage for runners",
        bio="I work with runners.",
    )  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("i18n")
    with module_world(folder, _build, PUBLIC_URL=BASE) as found:
        yield found


@pytest.fixture
def client(world):
    return world[0].test_client()


def _text(response) -> str:
    assert response.status_code < 500, response.status_code
    return response.get_data(as_text=True)


def _html_lang(page: str) -> str:
    return re.search(r"<html lang=\"(\w+)\"", page).group(1)


# --- Addresses and the choice of language ------------------------------------------------------


def test_spanish_pages_live_under_es_and_say_so(client):
    english, spanish = _text(client.get("/")), _text(client.get("/es/"))
    assert _html_lang(english) == "en" and _html_lang(spanish) == "es"
    assert "The right massage therapist for what you need" in english
    assert "El masajista indicado para lo que usted necesita" in spanish
    assert "The right massage therapist" not in spanish
    # url_for keeps the language: the search form, the nav, the profile links.
    assert 'action="/es/search"' in spanish and 'href="/es/guide"' in spanish
    assert 'href="/es/p/' in spanish and 'href="/p/' not in spanish
    assert 'action="/search"' in english


def test_public_pages_carry_canonical_and_hreflang_alternates(client):
    page = _text(client.get("/es/search?q=sciatica&near=Hoboken,+NJ&verified=1"))
    assert f'<link rel="canonical" href="{BASE}/es/search?q=sciatica&amp;near=Hoboken,+NJ">' in page
    for code, href in (
        ("en", f"{BASE}/search?q=sciatica&amp;near=Hoboken,+NJ"),
        ("es", f"{BASE}/es/search?q=sciatica&amp;near=Hoboken,+NJ"),
        ("x-default", f"{BASE}/search?q=sciatica&amp;near=Hoboken,+NJ"),
    ):
        assert f'<link rel="alternate" hreflang="{code}" href="{href}">' in page
    client.delete_cookie(i18n.COOKIE)  # the Spanish page was remembered
    english = _text(client.get("/guide"))
    assert f'<link rel="canonical" href="{BASE}/guide">' in english
    assert f'<link rel="alternate" hreflang="es" href="{BASE}/es/guide">' in english
    # Private pages have neither.
    login = _text(client.get("/es/login"))
    assert 'rel="canonical"' not in login and "hreflang=" not in login.split("</head>")[0]


def test_accept_language_sends_a_first_visit_to_spanish(client):
    response = client.get("/search?q=sciatica", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/es/search?q=sciatica"
    assert "Accept-Language" in response.headers["Vary"]
    english = client.get("/search?q=sciatica", headers={"Accept-Language": "en-US,es;q=0.5"})
    assert english.status_code == 200 and "Accept-Language" in english.headers["Vary"]
    # No header, no redirect: English stays the default.
    assert client.get("/").status_code == 200


def test_a_cookie_that_says_english_wins_over_accept_language(client):
    client.set_cookie(i18n.COOKIE, "en")
    response = client.get("/", headers={"Accept-Language": "es"})
    assert response.status_code == 200 and _html_lang(_text(response)) == "en"


def test_the_switch_links_to_the_same_page_and_is_remembered(client):
    spanish = client.get("/es/search?q=sciatica&near=Hoboken,+NJ")
    # A visit to a Spanish page remembers Spanish...
    assert f"{i18n.COOKIE}=es" in spanish.headers["Set-Cookie"]
    switch = re.search(r'<a class="language-switch" href="([^"]+)"', _text(spanish)).group(1)
    assert html_module.unescape(switch) == "/search?q=sciatica&near=Hoboken,+NJ&lang=en"
    # ...so an address without a prefix goes back to Spanish...
    again = client.get("/guide")
    assert again.status_code == 302 and again.headers["Location"] == "/es/guide"
    # ...until the switch says English: the choice is kept, the address cleaned.
    chosen = client.get(html_module.unescape(switch))
    assert chosen.status_code == 302
    assert chosen.headers["Location"] == "/search?q=sciatica&near=Hoboken,+NJ"
    assert f"{i18n.COOKIE}=en" in chosen.headers["Set-Cookie"]
    english = client.get("/guide", headers={"Accept-Language": "es"})
    assert english.status_code == 200 and _html_lang(_text(english)) == "en"
    back = re.search(r'<a class="language-switch" href="([^"]+)"', _text(english)).group(1)
    assert back == "/es/guide"


def test_a_signed_in_switch_is_the_accounts_preference(world):
    app, _ = world
    from tests.people import log_in, new_user

    with app.app_context():
        user = new_user("pref@example.com", "Pref Erence")
        db.session.commit()
        browser = app.test_client()
        log_in(browser, user)
        page = _text(browser.get("/account"))
        assert 'action="/language"' in page and 'name="language" value="es"' in page
        response = browser.post("/language", data={"language": "es", "next": "/es/account"})
        assert response.status_code == 302 and response.headers["Location"] == "/es/account"
        assert f"{i18n.COOKIE}=es" in response.headers["Set-Cookie"]
        db.session.expire_all()
        assert db.session.get(User, user.id).language == "es"
        # Another browser, no cookie, no Accept-Language: the account's preference decides.
        other = app.test_client()
        log_in(other, user)
        moved = other.get("/account")
        assert moved.status_code == 302 and moved.headers["Location"] == "/es/account"
        # Refused: an unknown language; and `next` never leaves the site.
        assert browser.post("/language", data={"language": "xx", "next": "/"}).status_code == 400
        away = browser.post("/language", data={"language": "en", "next": "//evil.example/"})
        assert away.status_code == 302 and "evil" not in away.headers["Location"]
        db.session.expire_all()
        assert db.session.get(User, user.id).language == "en"


def test_anonymous_switch_post_sets_only_the_cookie(client):
    response = client.post("/language", data={"language": "es", "next": "/es/guide"})
    assert response.status_code == 302 and response.headers["Location"] == "/es/guide"
    assert f"{i18n.COOKIE}=es" in response.headers["Set-Cookie"]


def test_machine_addresses_have_no_spanish_twin(client):
    for path in ("/es/api/v1/search?near=07030", "/es/sitemap.xml", "/es/healthz"):
        assert client.get(path).status_code == 404, path
    # The API is never redirected, whatever the browser prefers.
    assert (
        client.get("/api/v1/search?near=07030", headers={"Accept-Language": "es"}).status_code
        == 200
    )


def test_the_api_keeps_its_codes_and_speaks_the_callers_language(client):
    spanish = client.get("/api/v1/search?radius=far", headers={"Accept-Language": "es"}).get_json()
    english = client.get("/api/v1/search?radius=far").get_json()
    assert spanish["error"]["code"] == english["error"]["code"] == "invalid_parameter"
    assert spanish["error"]["field"] == english["error"]["field"] == "radius"
    assert english["error"]["message"].startswith("The distance must be a whole number")
    assert spanish["error"]["message"].startswith("La distancia debe ser un número entero")
    missing = client.get("/api/v1/practitioners/nobody-here", headers={"Accept-Language": "es"})
    assert missing.get_json()["error"]["code"] == "not_found"
    ok = client.get("/api/v1/search?near=07030", headers={"Accept-Language": "es"}).get_json()
    assert "results" in ok and "total" in ok  # English field names


def test_the_sitemaps_list_every_page_in_both_languages(client):
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    checked = 0
    for loc in index.iterfind("s:sitemap/s:loc", ns):
        child = ElementTree.fromstring(client.get(loc.text.removeprefix(BASE)).data)
        for url in child.iterfind("s:url", ns):
            english = url.find("s:loc", ns).text
            links = {link.get("hreflang"): link.get("href") for link in url.iterfind("x:link", ns)}
            assert links == {
                "en": english,
                "es": english.replace(BASE, BASE + "/es", 1),
                "x-default": english,
            }
            checked += 1
    assert checked > 10
    # Each Spanish address the sitemap names is a Spanish page.
    assert _html_lang(_text(client.get("/es/p/lucia-bilingue"))) == "es"


# --- What Spanish pages say -------------------------------------------------------------------


def test_dates_and_prices_are_written_the_spanish_way(client):
    english = _text(client.get("/p/lucia-bilingue"))
    spanish = _text(client.get("/es/p/lucia-bilingue"))
    assert "vence el 4 mar 2027" in spanish and "$80\u2013$120 por sesión" in spanish
    assert "expires Mar 4, 2027" in english and "$80\u2013$120 per session" in english
    # Machines still read ISO dates (JSON-LD); people never do.
    assert "2027-03-04" not in _visible(english) and '"validUntil": "2027-03-04"' in english


def test_a_spanish_headline_and_bio_are_shown_to_spanish_readers(client):
    english = _text(client.get("/p/lucia-bilingue"))
    spanish = _text(client.get("/es/p/lucia-bilingue"))
    assert "Masaje médico para el dolor de espalda" in spanish and "Trato el dolor" in spanish
    assert "Medical massage for back pain" not in spanish
    assert "Medical massage for back pain" in english and "Masaje médico para el" not in english
    # Without a Spanish text, the English one, said to be in English.
    assert "(in English)" not in _text(client.get("/p/only-english"))
    only = _text(client.get("/es/p/only-english"))
    assert "Sports massage for runners" in only and "(en inglés)" in only
    assert 'lang="en"' in only
    # No conditions or modalities named: said in Spanish under each heading.
    assert only.count("No indica ninguna.") == 2 and "None listed" not in only


def test_the_card_and_the_language_filter_say_habla_espanol(client):
    english = _text(client.get("/search?near=Hoboken,+NJ&language=es"))
    assert "Speaks Spanish" in english and "Habla español" not in english
    page = _text(client.get("/es/search?near=Hoboken,+NJ&language=es"))
    card = page[page.index('id="card-lucia-bilingue"') :]
    assert "Habla español" in card[: card.index('class="licenses-line"')]
    facets = page[page.index("Idiomas además del inglés") :]
    assert "Habla español" in facets[:400]


# --- No English left behind -------------------------------------------------------------------

#: Words a Spanish page shows as they are: names and brands.
ALLOWED = {"Kneaded", "HSA/FSA", "Spa"}


def _vocabulary_names() -> set[str]:
    """The needs vocabulary's names ("Medical massage" is a modality too): they come from its
    data, in the words the vocabulary gives them, not from this catalogue."""
    import json

    data = json.loads((ROOT / "directory" / "data" / "vocabulary.json").read_text())
    return {entry["name"] for kind in ("conditions", "modalities") for entry in data[kind]}


def _catalogue():
    with CATALOGUE.open("rb") as f:
        return read_po(f)


def _visible(page: str) -> str:
    """What a reader sees or hears: the text, and the attributes read out (alt, title,
    placeholder, aria-label); no scripts, styles or JSON-LD."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    spoken = re.findall(r'(?:alt|title|placeholder|aria-label)="([^"]*)"', page)
    text = re.sub(r"<[^>]+>", " ", page)
    return html_module.unescape(" ".join([text, *spoken])).replace("\xa0", " ")


def _english_fragments() -> list[str]:
    """Pieces of English a translated message would show: whole sentences, or the longest
    literal run between its placeholders; short words ("Spa", "or") are too common to test."""
    found = set()
    for message in _catalogue():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in ids:
            if english in strings:
                continue
            plain = html_module.unescape(re.sub(r"<[^>]+>", " ", english))
            pieces = [p.strip(" ,.:;") for p in re.split(r"%\(\w+\)[sr]", plain)]
            longest = max(pieces, key=len)
            if len(longest) >= 12 and " " in longest and longest not in ALLOWED:
                found.add(" ".join(longest.split()))
    return sorted(found - _vocabulary_names())


CLIENT_PATH = (
    "/es/",
    "/es/search?q=sciatica&near=Hoboken,+NJ",
    "/es/search?q=sciatica&near=Hoboken,+NJ&verified=1&language=es",
    "/es/search?q=lower+back+pain&near=Hoboken,+NJ&sort=distance",
    "/es/search?q=sciatica&near=Hobokn,+NJ",
    "/es/search?q=sciatica&near=Nowhereville,+ZZ",
    "/es/search?q=sciatica&near=Hoboken,+NJ&radius=far",
    "/es/search?q=numbness+in+my+groin&near=Hoboken,+NJ",
    "/es/search?q=sciatica&near=Hoboken,+NJ&setting=spa&price_max=60",
    "/es/p/lucia-bilingue",
    "/es/p/only-english",
    "/es/guide",
    "/es/guide/find?aim=nonsense",
    "/es/privacy",
    "/es/massage/nj",
    "/es/massage/nj/hoboken",
    "/es/massage/nj/hoboken/sciatica",
    "/es/no-such-page",
)


@pytest.mark.parametrize("path", CLIENT_PATH)
def test_the_client_path_in_spanish_shows_no_translated_english(client, path):
    response = client.get(path)
    page = _text(response)
    assert _html_lang(page) == "es"
    seen = " ".join(_visible(page).split())
    left = [english for english in _english_fragments() if english in seen]
    assert not left, f"{path} still shows English: {left}"


def test_the_walk_would_see_english_left_behind(client):
    # The test above fails on the English of a translated message: the English pages show it.
    seen = " ".join(_visible(_text(client.get("/guide"))).split())
    assert any(english in seen for english in _english_fragments())


def test_the_catalogue_has_every_message_translated(tmp_path):
    template = tmp_path / "messages.pot"
    # As `make translations` extracts them (babel.cfg is relative to the project).
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg",
         "-k", "lazy_gettext", "-k", "_l", "-o", str(template), "directory", "templates"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with template.open("rb") as f:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    translated = {}
    for message in _catalogue():
        if message.id and "fuzzy" not in message.flags:
            key = message.id if isinstance(message.id, str) else message.id[0]
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            translated[key] = all(strings)
    missing = sorted(m for m in extracted if not translated.get(m))
    assert not missing, f"translations/es lacks {len(missing)} messages: {missing[:20]}"


def test_translations_keep_their_placeholders():
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\((\w+)\)[sr]", ids[-1]))
        for string in strings:
            assert set(re.findall(r"%\((\w+)\)[sr]", string)) <= wanted | {"num"}, message.id
            assert set(re.findall(r"%\((\w+)\)[sr]", string)) >= wanted - {"num"}, message.id


THERAPIST_PATH = (
    "/es/login",
    "/es/register",
    "/es/password/reset",
    "/es/account",
    "/es/dashboard",
    "/es/dashboard/profiles/lucia-bilingue/edit",
    "/es/dashboard/profiles/lucia-bilingue/offices",
    "/es/dashboard/profiles/lucia-bilingue/licenses",
    "/es/dashboard/profiles/lucia-bilingue/specialties",
    "/es/dashboard/profiles/lucia-bilingue/preview",
    "/es/t/crafted-hand",
)


@pytest.fixture(scope="module")
def therapist(world):
    """Lucía's own account, owner of her practice."""
    app, _ = world
    from directory.practitioners.models import Practitioner
    from tests.people import join, new_user

    with app.app_context():
        user = new_user("lucia@example.com", "Lucía Bilingüe")
        profile = db.session.scalar(
            db.select(Practitioner).where(Practitioner.slug == "lucia-bilingue")
        )
        profile.user_id = user.id
        join(user, profile.tenant, "owner")
        return user.id


@pytest.mark.parametrize("path", THERAPIST_PATH)
def test_the_therapist_path_in_spanish_shows_no_translated_english(world, therapist, path):
    app, _ = world
    from tests.people import log_in

    with app.app_context():
        browser = app.test_client()
        if path not in ("/es/login", "/es/register", "/es/password/reset"):
            log_in(browser, db.session.get(User, therapist))
        response = browser.get(path)
        assert response.status_code == 200, path
        page = _text(response)
    assert _html_lang(page) == "es"
    seen = " ".join(_visible(page).split())
    left = [english for english in _english_fragments() if english in seen]
    assert not left, f"{path} still shows English: {left}"


def test_a_place_the_directory_does_not_know_is_said_in_spanish(client):
    page = _text(client.get("/es/search?q=sciatica&near=Qqqzzville,+NJ"))
    assert "No encontramos" in page and "We couldn't find" not in page
    api = client.get("/api/v1/search?near=Qqqzzville,+NJ", headers={"Accept-Language": "es"})
    assert api.get_json()["error"]["code"] == "unknown_location"
    assert api.get_json()["error"]["message"].startswith("No encontramos")
    english = client.get("/api/v1/search?near=Qqqzzville,+NJ").get_json()["error"]["message"]
    assert english.startswith("We couldn't find")


def test_needs_are_named_in_spanish_on_spanish_pages(client):
    from directory import vocabulary

    with client.application.app_context():
        spanish = vocabulary.terms()["sciatica"].spanish
    assert spanish is not None and spanish.name != "Sciatica"
    assert '<li class="tag">Sciatica</li>' in _text(client.get("/p/lucia-bilingue"))
    page = _text(client.get("/es/p/lucia-bilingue"))
    assert f'<li class="tag">{spanish.name}</li>' in page
    results = _text(client.get("/es/search?q=sciatica&near=Hoboken,+NJ"))
    assert f"<mark>{spanish.name}</mark>" in results


# --- Mail in the reader's language -------------------------------------------------------------


def test_a_therapist_is_mailed_in_their_language_whatever_the_clients_page(world, therapist):
    """Lucía chose Spanish: a message written on an English page reaches her in Spanish, with
    a Spanish link; a therapist who chose no language is written to in English, even from a
    Spanish page. The client's own copy follows the page they wrote on."""
    app, _ = world
    from directory.mail import MailMessage
    from directory.practitioners.models import Practitioner
    from tests.people import new_user
    from tests.test_inquiries import posted

    with app.app_context():
        db.session.get(User, therapist).language = "es"
        english = new_user("only@example.com", "Only English")
        profile = db.session.scalar(
            db.select(Practitioner).where(Practitioner.slug == "only-english")
        )
        profile.user_id = english.id
        db.session.commit()
        browser = app.test_client()
        for path, ip, email in (
            ("/p/lucia-bilingue/inquiry", "198.51.100.21", "casey@example.com"),
            ("/es/p/only-english/inquiry", "198.51.100.22", "carla@example.com"),
        ):
            sent = browser.post(path, data=posted(email=email), environ_base={"REMOTE_ADDR": ip})
            assert sent.status_code in (302, 303), sent.get_data(as_text=True)[:300]
        db.session.expire_all()
        letters = {m.to: m for m in db.session.scalars(db.select(MailMessage))}
        to_lucia, to_only = letters["lucia@example.com"], letters["only@example.com"]
        assert to_lucia.subject == "Nuevo mensaje de Casey Client"
        assert "le escribió a través de su perfil (Lucía Bilingüe)" in to_lucia.body
        assert "Acerca de: Ciática" in to_lucia.body and "información de salud" in to_lucia.body
        assert "/es/dashboard/inquiries/" in to_lucia.body
        assert "Kneaded, el directorio de masajistas" in to_lucia.body
        assert "wrote to you" not in to_lucia.body
        assert to_only.subject == "New message from Casey Client"
        assert "wrote to you through your profile (Only English)" in to_only.body
        assert "About: Sciatica" in to_only.body and "/es/" not in to_only.body
        assert "Mensaje" not in to_only.body
        # The clients read their copy in the language they wrote in.
        assert letters["casey@example.com"].subject.startswith("Your message to")
        assert letters["carla@example.com"].subject.startswith("Su mensaje a ")


def test_flash_messages_and_form_errors_are_spanish_on_spanish_pages(world, therapist):
    """The editor's save, a validation error (ours and WTForms' own, through Flask-WTF's
    Babel support) and a confirmation, as Lucía meets them on /es/ pages."""
    app, _ = world
    from directory.practitioners.models import Practitioner
    from tests.people import log_in

    base = "/es/dashboard/profiles/lucia-bilingue"
    with app.app_context():
        browser = app.test_client()
        log_in(browser, db.session.get(User, therapist))
        profile = db.session.scalar(
            db.select(Practitioner).where(Practitioner.slug == "lucia-bilingue")
        )
        saved = browser.post(
            f"{base}/edit",
            data={"version": profile.version, "credentials": "LMT", "form_complete": "1"},
            follow_redirects=True,
        )
        page = _text(saved)
        assert "Perfil guardado." in page and "Profile saved." not in page
        db.session.expire_all()
        version = db.session.get(Practitioner, profile.id).version
        refused = browser.post(
            f"{base}/licenses",
            data={"version": version, "state": "NY", "number": "028941",
                  "expires_on": "31/01/2030", "form_complete": "1"},
        )  # fmt: skip
        assert refused.status_code == 400
        page = _text(refused)
        assert "Corrija los campos marcados abajo; no se guardó nada." in page
        assert "No es una fecha válida." in page and "Not a valid date" not in page
        office = profile.offices[0]
        asked = _text(browser.get(f"{base}/offices/{office.id}/delete"))
        assert "¿Quitar este consultorio?" in asked and ">Quitar</button>" in asked
        assert "Remove this office" not in asked
        done = browser.post(f"{base}/accepting", data={"accepting": "yes"}, follow_redirects=True)
        page = _text(done)
        assert "Gracias: Lucía Bilingüe aparece como que acepta clientes nuevos" in page
        assert "Thank you" not in page


def test_a_license_decision_reaches_a_spanish_speaking_therapist_in_spanish(world, therapist):
    app, _ = world
    from directory.admin import operations as admin_ops
    from directory.mail import MailMessage
    from directory.practitioners.models import Practitioner
    from tests.people import new_user

    with app.app_context():
        db.session.get(User, therapist).language = "es"
        profile = db.session.scalar(
            db.select(Practitioner).where(Practitioner.slug == "lucia-bilingue")
        )
        lic = profile.licenses[0]
        lic.status = "pending"
        admin = new_user("ada-i18n@example.com", "Ada Admin", is_admin=True)
        admin_ops.approve(lic, admin)
        db.session.commit()
        letter = db.session.scalars(
            db.select(MailMessage).where(MailMessage.to == "lucia@example.com")
            .order_by(MailMessage.id.desc())
        ).first()  # fmt: skip
        assert letter.subject == "Su licencia de NJ está verificada"
        assert "hasta que venza el 4 de marzo de 2027" in letter.body
        assert "/es/dashboard/profiles/lucia-bilingue/licenses" in letter.body
        assert "verified" not in letter.body.replace("/es/", "")


def test_python_counts_read_with_separators_and_keep_their_plural(client):
    # locales.ngettext: %(num)s as the reader writes it, the plural form chosen by the count.
    from directory import locales

    said = {}
    with client.application.test_request_context("/"):
        for locale in ("en_US", "es_US"):
            with force_locale(locale):
                said[locale] = [locales.ngettext("%(num)s row", "%(num)s rows", n)
                                for n in (1, 1234)]  # fmt: skip
    assert said == {"en_US": ["1 row", "1,234 rows"], "es_US": ["1 fila", "1,234 filas"]}
