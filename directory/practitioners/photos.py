"""Profile photos: decoded and re-encoded with Pillow (which drops EXIF/GPS and anything hidden in
the file), stored under <instance>/uploads/ with names the server chooses, served by a view."""

import io
import re
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from directory import stored
from directory.refusals import Refused

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000
#: Largest side of the stored photo; bigger uploads are scaled down.
MAX_SIDE = 1600
#: Pillow format -> file extension. Nothing else is decoded (no GIF, SVG, HTML...).
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
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
        raise PhotoError("The photo is larger than 5 MB.")
    if not data:
        raise PhotoError("Choose a photo to upload.")
    return data


def reencode(stream) -> tuple[bytes, str]:
    """The upload decoded and re-encoded without metadata, and its extension; or PhotoError."""
    data = _read_limited(stream)
    too_many_pixels = PhotoError(
        f"The photo has too many pixels (at most {MAX_PIXELS // 1_000_000} megapixels)."
    )
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; a bomb is an error here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                # Checked on the header, before a single pixel is decoded.
                if image.width * image.height > MAX_PIXELS:
                    raise too_many_pixels
                fmt = image.format
                image.seek(0)  # animated WebP/PNG: the first frame only
                image.load()
                clean = _without_metadata(image, fmt)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise PhotoError("That file is not a JPEG, PNG or WebP photo.") from None
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=85)
    return out.getvalue(), FORMATS[fmt]


def _without_metadata(image: Image.Image, fmt: str) -> Image.Image:
    # Apply the EXIF orientation first, so dropping EXIF does not turn the photo on its side.
    image = ImageOps.exif_transpose(image)
    keep_alpha = fmt != "JPEG" and ("A" in image.getbands() or "transparency" in image.info)
    clean = image.convert("RGBA" if keep_alpha else "RGB")
    clean.thumbnail((MAX_SIDE, MAX_SIDE))
    clean.info = {}  # nothing of the original file's metadata travels to the new one
    return clean


def save(upload) -> str:
    """Re-encode and store an uploaded image under a new name, and return the name; or
    PhotoError when the upload is missing or not an image. The file stays only if the
    request's transaction commits."""
    if upload is None or not hasattr(upload, "stream"):
        raise PhotoError("Choose an image to upload.")
    data, ext = reencode(upload.stream)
    return _FILES.keep(data, ext)


def release(name: str | None) -> None:
    """The stored file `name` is no longer referenced: it goes once the transaction commits
    (and stays if it rolls back)."""
    _FILES.release(name)


_FILES = stored.Files("photos", folder, NAME)
