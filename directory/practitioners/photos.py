"""Profile photos (and practice logos): decoded within a memory budget, scaled down and
re-encoded by images.reencoded (which drops EXIF/GPS and anything hidden in the file), stored
under <instance>/uploads/ with names the server chooses, served by a view."""

import re
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from directory import images, stored
from directory.locales import number
from directory.refusals import Refused

MAX_BYTES = 5 * 1024 * 1024
#: Largest side of the stored photo; bigger uploads are scaled down.
MAX_SIDE = 1600
#: Pillow format -> file extension. Nothing else is decoded (no GIF, SVG, HTML...).
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
#: Pillow format -> how the re-encoded photo is saved.
SAVE_OPTIONS = {
    "JPEG": {"quality": 88, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 85},
}
MIMETYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")


class PhotoError(Refused):
    """The upload is not a photo we accept; the message is for the person who sent it."""


def folder() -> Path:
    """Where photos are stored: <instance>/uploads/."""
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def is_valid_name(name: str) -> bool:
    """Whether `name` has the shape of a name this module gives files."""
    return _FILES.is_valid_name(name)


def _read_limited(stream) -> bytes:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PhotoError(_("The photo is larger than 5 MB."))
    if not data:
        raise PhotoError(_("Choose a photo to upload."))
    return data


def reencode(stream) -> tuple[bytes, str]:
    """The upload decoded and re-encoded without metadata, and its extension; or PhotoError
    (images.Busy when too many images are being processed at once)."""
    data = _read_limited(stream)
    try:
        reencoded, fmt = images.reencoded(data, SAVE_OPTIONS, MAX_SIDE)
    except images.TooLarge as error:
        save_smaller = _(
            "Save it smaller (%(side)s pixels on its longest side is plenty) and upload it again.",
            side=number(images.ADVISED_SIDE),
        )
        raise PhotoError(
            _(
                "The photo has too many pixels for us to process (%(count)s megapixels). "
                "%(advice)s",
                count=number(error.megapixels),
                advice=save_smaller,
            )
            if error.megapixels
            else _(
                "The photo has too many pixels for us to process. %(advice)s",
                advice=save_smaller,
            )
        ) from None
    except images.Unreadable:
        raise PhotoError(_("That file is not a JPEG, PNG or WebP photo.")) from None
    return reencoded, FORMATS[fmt]


def save(upload) -> str:
    """Re-encode and store an uploaded image under a new name, and return the name; or
    PhotoError when the upload is missing or not an image. The file stays only if the
    request's transaction commits."""
    if upload is None or not hasattr(upload, "stream"):
        raise PhotoError(_("Choose an image to upload."))
    data, ext = reencode(upload.stream)
    return _FILES.keep(data, ext)


def release(name: str | None) -> None:
    """The stored file `name` is no longer referenced: it goes once the transaction commits
    (and stays if it rolls back)."""
    _FILES.release(name)


_FILES = stored.Files("photos", folder, NAME)
