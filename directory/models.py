"""Every model in one import, for Alembic and for callers that need several."""

from directory.accounts.models import LoginAttempt, User
from directory.accounts.sessions import UserSession
from directory.audit import AuditEvent
from directory.inquiries.models import Inquiry, InquiryAttempt, SenderBlock
from directory.insights.models import InsightCount
from directory.listings.models import ListingRemoval, ListingSource
from directory.mail import MailMessage
from directory.practices.models import Invitation, Membership, Tenant
from directory.practitioners.models import License, LicenseNotice, Office, Practitioner
from directory.rosters.models import LicenseReview, RosterSync
from directory.search.outbox import DatabaseIdentity, SearchOutbox
from directory.vocabulary import Condition, Modality

__all__ = [
    "AuditEvent",
    "Condition",
    "DatabaseIdentity",
    "Inquiry",
    "InquiryAttempt",
    "InsightCount",
    "Invitation",
    "License",
    "LicenseNotice",
    "LicenseReview",
    "ListingRemoval",
    "ListingSource",
    "LoginAttempt",
    "MailMessage",
    "Membership",
    "Modality",
    "Office",
    "Practitioner",
    "RosterSync",
    "SearchOutbox",
    "SenderBlock",
    "Tenant",
    "User",
    "UserSession",
]
