"""schema.org structured data (JSON-LD) for profiles and practice pages: what their pages show,
never more (no rating markup: there are no reviews). A rejected license is not a credential and
its number is not repeated; a specialty certificate is one only while verified and current."""

from flask_babel import gettext as _

from directory import i18n, specialties, vocabulary
from directory.mail import public_url
from directory.practices.models import Tenant
from directory.practitioners.models import Practitioner

#: The practice kinds that are a spa; other practices are a medical business when most of
#: their listed therapists work in a medical setting.
SPA_KINDS = ("spa",)


def _address(office) -> dict:
    return {
        "@type": "PostalAddress",
        "streetAddress": office.street,
        "addressLocality": office.city,
        "addressRegion": office.state,
        "postalCode": office.zip,
        "addressCountry": "US",
    }


def _geo(office) -> dict:
    return {"@type": "GeoCoordinates", "latitude": office.lat, "longitude": office.lon}


def person(p: Practitioner, licenses, offices) -> dict:
    """The therapist as a schema.org Person (licenses: profiles.license_views; offices:
    profiles.office_views, the listed ones)."""
    data = {
        "@context": "https://schema.org",
        "@type": "Person",
        "name": p.name,
        "jobTitle": _("Massage therapist") + (f" ({p.credentials})" if p.credentials else ""),
        "url": i18n.to_language(public_url("practitioners.show", slug=p.slug), i18n.current()),
        "inLanguage": i18n.current(),
        "worksFor": {
            "@type": "Organization",
            "name": p.tenant.name,
            "url": public_url("practice_pages.show", slug=p.tenant.slug),
        },
        "knowsLanguage": ["English", *p.languages],
        "hasCredential": [
            {
                "@type": "EducationalOccupationalCredential",
                "credentialCategory": "license",
                "name": _("%(state)s massage therapy license", state=lic.state_name),
                "identifier": lic.public_number,
                "validUntil": lic.expires_on.isoformat() if lic.expires_on else None,
                "recognizedBy": {"@type": "Organization", "name": lic.board or lic.state_name},
            }
            for lic in licenses
            if lic.public_number and lic.regulated
        ]
        + [
            {
                "@type": "EducationalOccupationalCredential",
                "credentialCategory": "certificate",
                "name": specialties.name(record.kind),
                "recognizedBy": {"@type": "Organization", "name": record.issuer},
            }
            for record in p.specialties
            if specialties.earns_badge(record)
        ],
    }
    # The Spanish page describes the therapist in Spanish when they wrote it so.
    headline = p.headline_es if i18n.current() == "es" and p.headline_es else p.headline
    if headline:
        data["description"] = headline
    if offices:
        data["workLocation"] = [
            {"@type": "Place", "address": _address(ov.office), "geo": _geo(ov.office)}
            for ov in offices
        ]
    if p.phone:
        data["telephone"] = p.phone
    return data


def business(tenant: Tenant, entries, website: str | None) -> dict:
    """The practice as a HealthAndBeautyBusiness (a spa) or MedicalBusiness (entries:
    roster.Entry of its listed therapists, for its setting and its first office; website: the
    page's checked web address, roster.website)."""
    medical = sum(vocabulary.offers(e.practitioner.setting, "medical") for e in entries)
    spa_like = tenant.kind in SPA_KINDS or medical * 2 < len(entries)
    data = {
        "@context": "https://schema.org",
        "@type": "HealthAndBeautyBusiness" if spa_like else "MedicalBusiness",
        "name": tenant.name,
        "url": public_url("practice_pages.show", slug=tenant.slug),
    }
    if tenant.description and tenant.description.strip():
        data["description"] = tenant.description.strip()[:500]
    office = next((e.office.office for e in entries if e.office is not None), None)
    if office is not None:
        data["address"] = _address(office)
        data["geo"] = _geo(office)
    phone = next((e.practitioner.phone for e in entries if e.practitioner.phone), "")
    if phone:
        data["telephone"] = phone
    if website:
        data["sameAs"] = [website]
    return data
