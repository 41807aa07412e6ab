"""Evidence for specialty credentials: the certificate a therapist uploads for an admin to check.

Private, unlike photos: stored under <instance>/credentials/ (or CREDENTIALS_FOLDER), never under
static/ or the public uploads folder, and served only through views that check who asks. What is
accepted is judged by content, never by the file's name: a PDF (it starts with %PDF-, is stored
as sent, and refused when its plain bytes name scripts, actions that run on opening, launch
actions or attached files; compressed object streams are not inflated, so a script hidden in one
is not seen: the queue serves PDFs only as downloads, to be opened with scripts off) or a JPEG or
PNG image
(decoded and re-encoded with Pillow, which drops EXIF/GPS and anything hidden in the file, with
a pixel limit checked before decoding). Names are chosen by the server; a file stays only if the
request's transaction commits, and a replaced or removed one goes once it has.
"""

import re
from pathlib import Path

from flask import Response, abort, current_app
from flask_babel import gettext as _

from directory import images, stored
from directory.locales import number
from directory.refusals import Refused

#: Below the request limit (MAX_CONTENT_LENGTH, 8 MB), which answers a 413 before any form.
MAX_BYTES = 7 * 1024 * 1024
#: A letter or A4 page scanned at 300 dpi is 8.4-8.7 MP; more is refused. What decoding costs is
#: bounded as for photos (images.DECODE_BUDGET, bench/documents.py and bench/images.py).
MAX_PIXELS = 12_000_000
#: Largest side of an image accepted (a page is never a strip), and of one stored: a scan stays
#: legible, anything longer is scaled down.
MAX_SIDE_IN = 10_000
MAX_SIDE = 4000
#: Pillow format -> file extension. Nothing else is decoded (no GIF, WebP, TIFF, SVG, HTML...).
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png"}
#: How each is saved again.
SAVE_OPTIONS = {"JPEG": {"quality": 90, "optimize": True}, "PNG": {"optimize": True}}
MIMETYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}
NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|jpg|png)$")
#: What a certificate never needs and an attacker would: PDF names of scripts, actions that
#: start programs, embedded files and rich media (also when spelt with #xx escapes).
ACTIVE_PDF = re.compile(
    rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|OpenAction|AA)\b"
)
#: Markup a browser would render if it ever sniffed the file as a page.
MARKUP = re.compile(rb"<\s*(html|script|svg|body|iframe|!doctype|\?xml-stylesheet)", re.I)


class DocumentError(Refused):
    """The upload is not evidence we accept; the message is for the person who sent it."""


def folder() -> Path:
    """Where documents are stored: <instance>/credentials/ unless CREDENTIALS_FOLDER says."""
    configured = current_app.config.get("CREDENTIALS_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "credentials"


def is_valid_name(name: str | None) -> bool:
    """Whether `name` has the shape of a name this module gives files."""
    return _FILES.is_valid_name(name)


def is_pdf(name: str) -> bool:
    return name.endswith(".pdf")


def _read_limited(stream) -> bytes:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DocumentError(
            _("The document is larger than %(count)s MB.", count=number(MAX_BYTES // (1024 * 1024)))
        )
    if not data:
        raise DocumentError(_("Choose the certificate to upload (a PDF, JPEG or PNG file)."))
    return data


def _checked_pdf(data: bytes) -> bytes:
    # Hex escapes in names (/J#53 is /JS) are undone before looking.
    plain = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)
    if ACTIVE_PDF.search(plain) or MARKUP.search(plain):
        raise DocumentError(
            _(
                "That PDF contains scripts, actions or attachments: save or print it as a plain "
                "PDF (or upload a scan as a JPEG or PNG)."
            )
        )
    if b"%%EOF" not in data[-1024:]:
        raise DocumentError(_("That PDF is incomplete: upload the whole file again."))
    return data


def _reencoded_image(data: bytes) -> tuple[bytes, str]:
    """A scan decoded as photos are (images.reencoded: within the memory budget, one at a time
    per process, upright, without metadata) and kept legible (MAX_SIDE)."""
    too_many_pixels = DocumentError(
        _(
            "The image has too many pixels (at most %(count)s megapixels, %(side)s on a side): "
            "scan the page at 300 dpi or less.",
            count=number(MAX_PIXELS // 1_000_000),
            side=number(MAX_SIDE_IN),
        )
    )
    try:
        reencoded, fmt = images.reencoded(
            data, SAVE_OPTIONS, MAX_SIDE, max_pixels=MAX_PIXELS, max_side_in=MAX_SIDE_IN
        )
    except images.TooLarge:
        raise too_many_pixels from None
    except images.Unreadable:
        raise DocumentError(_("That file is not a PDF, JPEG or PNG file.")) from None
    return reencoded, IMAGE_FORMATS[fmt]


def accepted(stream) -> tuple[bytes, str]:
    """The bytes to store for an upload, and their extension; or DocumentError."""
    data = _read_limited(stream)
    if data.startswith(b"%PDF-"):
        return _checked_pdf(data), "pdf"
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        return _reencoded_image(data)
    raise DocumentError(_("That file is not a PDF, JPEG or PNG file."))


def save(upload) -> str:
    """Check and store an uploaded document under a new name, and return the name; or
    DocumentError. The file stays only if the request's transaction commits."""
    if upload is None or not getattr(upload, "filename", None):
        raise DocumentError(_("Choose the certificate to upload (a PDF, JPEG or PNG file)."))
    data, ext = accepted(upload.stream)
    return keep(data, ext)


def keep(data: bytes, ext: str) -> str:
    """Store checked bytes (or the demo's own certificates) under a new name tied to the
    session's transaction: the file stays only if it commits."""
    return _FILES.keep(data, ext)


def release(name: str | None) -> None:
    """The stored document `name` is no longer referenced: it goes once the transaction
    commits (and stays if it rolls back)."""
    _FILES.release(name)


def send(name: str | None):
    """The response that hands a stored document to someone allowed to read it: never cached,
    never sniffed, a PDF as a download (not rendered from our origin), an image inline."""
    if not is_valid_name(name):
        abort(404)
    try:
        # Read whole (at most MAX_BYTES): no open file outlives the request. The name was
        # checked against NAME, so it cannot leave the folder.
        data = (folder() / name).read_bytes()
    except FileNotFoundError:
        abort(404)
    ext = name.rsplit(".", 1)[1]
    response = Response(data, mimetype=MIMETYPES[ext])
    disposition = "attachment" if ext == "pdf" else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="credential.{ext}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Should a browser ever render it as a page anyway: no scripts, no requests, no origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


_FILES = stored.Files("documents", folder, NAME, private=True)
