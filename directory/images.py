"""Uploaded images decoded within a fixed memory budget, whatever their header claims.

A file's size says little about its pixels: a flat 5000 x 5000 PNG is 100 KB, and decoding,
converting and scaling it whole took a worker 400 MB; eight at once took it to 1.9 GB (issue 23).
Three rules keep a worker's image work within DECODE_BUDGET, plus about 10 MB for the decoders
and the encoder (bench/images.py measures a worker under eight worst uploads at once):

1. Reduce while decoding. A JPEG is decoded with DCT scaling at 1/2, 1/4 or 1/8 of its size
   (Image.draft), the smallest that still covers the size it is stored at. A PNG or WebP cannot
   be reduced while decoding: it is decoded whole once and scaled down before anything else is
   made of it (a palette, bilevel or 16-bit grey image is made RGB(A) first: one copy more).
2. Refuse before decoding. Image.open reads the header only; what decoding and scaling will
   take is worked out from it (_cost: the pixels as decoded, each whole copy, and the copy
   with premultiplied alpha that Pillow makes to scale an image with alpha) and a file that
   needs more than the budget is refused before a pixel is decoded. With 96 MB that allows:
   - a JPEG decoded in one pass (baseline, as cameras and phones write them), of any size: it
     is decoded at 4 bytes a pixel of the reduced image, at most 59 MB (a 3199-pixel square is
     decoded whole). MAX_PIXELS still applies (50 MP, the largest phone photos; phones take
     12-50 MP): more pixels only cost decoding time, every block is still read.
   - a JPEG in several scans (progressive, as web tools save them, or a first scan without
     every component): libjpeg keeps every DCT coefficient, 2 bytes a sample whatever the
     scaling, so 3 bytes a pixel for 4:2:0 colour (21 MP allowed), 6 for 4:4:4 (12 MP), 8 for
     CMYK (10 MP). Only baseline, extended and progressive Huffman JPEGs are read: a lossless
     one cannot be scaled, and no camera writes arithmetic coding.
   - a PNG: RGB 19 MP, RGBA 10 MP, palette with transparency 9 MP. A photo saved as PNG takes
     1.5-2 bytes a pixel, so under the 5 MB upload limit a real one has a few megapixels; only
     flat (drawn or crafted) images come near these.
   - a WebP: libwebp's decoder holds two canvases and Pillow two copies, 16 bytes a pixel: RGB
     5 MP, RGBA 4 MP. WebP photos come from the web with a few megapixels; cameras write JPEG.
   Pillow's text chunks of a PNG are also held to 1 MB (they are dropped anyway): by default it
   inflates up to 64 MB of them in Image.open, from a 66 KB file.
3. One decode at a time per process (_TURN): gunicorn runs several threads in a worker and
   Pillow decodes without the GIL, so without it each thread would spend the budget at once.
   A request waits for its turn at most WAIT_SECONDS (a worker's few threads put a few decodes
   of a second or two ahead of it at most), and is then refused as busy (429, on the form)
   rather than holding its thread for longer. After each turn the freed memory is handed back
   to the system: glibc keeps a heap per thread and would keep each one's largest image.
"""

import ctypes
import io
import threading
import warnings
from collections.abc import Mapping

from flask_babel import gettext as _
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from directory.refusals import Throttled

#: Bytes one decode may take on top of what the process holds (see the module's docstring).
DECODE_BUDGET = 96 * 1024 * 1024
#: Pixels an image may have at most, whatever it costs (see the module's docstring).
MAX_PIXELS = 50_000_000
#: What a refusal advises: an image this long on its longest side is within the budget in every
#: format and layout.
ADVISED_SIDE = 2000
#: Seconds a request waits for this process's one image turn before it is refused as busy.
WAIT_SECONDS = 20
#: Bytes a pixel of a WebP takes while decoding: libwebp's two canvases and Pillow's two copies.
WEBP_BYTES = 16
#: Bytes a pixel takes decoded, by Pillow mode where not 4 (Pillow stores RGB in four bytes).
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
#: Modes made RGB(A) before scaling: Pillow scales a palette or bilevel image by picking pixels,
#: and cannot scale 16-bit grey.
_CONVERTED_FIRST = {"1", "P", "PA", "I;16", "I;16B", "I;16L", "I;16N"}
#: JPEG frames read: baseline, extended and progressive Huffman DCT (SOF0, SOF1, SOF2).
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2}

# Text chunks are dropped anyway (see the module's docstring).
PngImagePlugin.MAX_TEXT_MEMORY = PngImagePlugin.MAX_TEXT_CHUNK

_TURN = threading.Lock()
_malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc only


class Unreadable(Exception):
    """Not an image in one of the accepted formats, or a damaged one."""


class TooLarge(Exception):
    """Decoding the image would take more than the budget. `megapixels`: how many it has, or
    None when Pillow's own guard refused it first."""

    def __init__(self, pixels: int | None):
        self.megapixels = None if pixels is None else max(1, round(pixels / 1_000_000))
        super().__init__(f"{self.megapixels} megapixels")


class Busy(Throttled):
    """Another image took this process's turn for longer than a request waits."""

    def __init__(self):
        super().__init__(
            _(
                "Many images are being processed right now, so yours was not saved. "
                "Please upload it again in a minute."
            ),
            retry_after=60,
        )


def reencoded(
    data: bytes,
    formats: Mapping[str, dict],
    max_side: int,
    max_pixels: int = MAX_PIXELS,
    max_side_in: int | None = None,
) -> tuple[bytes, str]:
    """The image in `data` decoded within the budget, scaled to fit max_side x max_side, turned
    upright and saved again in its own format without metadata, and that format; `formats` maps
    the Pillow formats accepted to their save options. More than `max_pixels` (at most
    MAX_PIXELS), or a side longer than `max_side_in`, is TooLarge before decoding. Raises
    Unreadable, TooLarge, or Busy when this process's turn did not come within WAIT_SECONDS."""
    if not _TURN.acquire(timeout=WAIT_SECONDS):
        raise Busy()
    try:
        limits = (min(max_pixels, MAX_PIXELS), max_side_in)
        return _reencoded(data, formats, max_side, limits)
    finally:
        if _malloc_trim is not None:
            _malloc_trim(0)
        _TURN.release()


def _reencoded(
    data: bytes, formats: Mapping[str, dict], max_side: int, limits: tuple[int, int | None]
) -> tuple[bytes, str]:
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; a bomb is an error here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(formats)) as image:
                # A JPEG with more pictures after the first (MPO: a camera's stereo pair, a
                # phone's depth or gain map) is a JPEG whose first picture is the photo.
                fmt = "JPEG" if image.format == "MPO" else image.format
                if fmt not in formats:
                    raise Unreadable()
                image.seek(0)  # an animated PNG or WebP: the first frame only
                clean = _reduced(image, fmt, data, max_side, limits)
                out = io.BytesIO()
                clean.save(out, fmt, **formats[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooLarge(None) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise Unreadable() from None
    return out.getvalue(), fmt


def _reduced(
    image: Image.Image, fmt: str, data: bytes, max_side: int, limits: tuple[int, int | None]
) -> Image.Image:
    """`image` (opened, not decoded) decoded within the budget and scaled down to fit, upright,
    in RGB or RGBA, without metadata."""
    pixels = image.width * image.height
    max_pixels, max_side_in = limits
    if pixels > max_pixels or (max_side_in and max(image.size) > max_side_in):
        raise TooLarge(pixels)
    coefficients = 0
    if fmt == "JPEG":
        coefficients = _jpeg_coefficient_bytes(image, data)
        # DCT scaling: decoded at 1/2, 1/4 or 1/8 of its size, never below the size stored.
        image.draft(None, _fitted(image.size, max_side))
    keep_alpha = fmt != "JPEG" and ("A" in image.getbands() or "transparency" in image.info)
    mode = "RGBA" if keep_alpha else "RGB"
    scaled_mode = mode if image.mode in _CONVERTED_FIRST else image.mode
    cost = coefficients + _cost(image, scaled_mode, max_side)
    if cost > DECODE_BUDGET:
        raise TooLarge(pixels)
    clean = image
    if image.mode in _CONVERTED_FIRST:
        clean = image.convert(mode)
        image.close()  # the decoded original goes before scaling
    clean.thumbnail((max_side, max_side))
    if clean.mode != mode:
        clean = clean.convert(mode)
    # The EXIF orientation on the small image, so dropping EXIF does not turn the photo over.
    ImageOps.exif_transpose(clean, in_place=True)
    clean.info = {}  # nothing of the original file's metadata travels to the new one
    return clean


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """`size` scaled down to fit max_side x max_side, keeping its aspect."""
    width, height = size
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _cost(image: Image.Image, scaled_mode: str, max_side: int) -> int:
    """Bytes that decoding `image` (at its drafted size) and scaling it down to fit max_side
    take at most, when it is scaled in `scaled_mode`."""
    pixels = image.width * image.height
    per_pixel = WEBP_BYTES if image.format == "WEBP" else _MODE_BYTES.get(image.mode, 4)
    if scaled_mode != image.mode:
        per_pixel += 4  # made RGB(A) whole before scaling
    if scaled_mode in ("RGBA", "LA"):
        per_pixel += 4  # Pillow scales with alpha premultiplied, in a whole copy
    # Scaling makes the new width at the old height first: a fraction of a copy.
    intermediate = pixels * 4 * min(1.0, max_side / max(image.size))
    return pixels * per_pixel + int(intermediate)


def _jpeg_coefficient_bytes(image: Image.Image, data: bytes) -> int:
    """What libjpeg keeps of a JPEG it must buffer whole (2 bytes a DCT coefficient, whatever
    the scaling), or 0 for one decoded in a single pass; Unreadable for a kind not read."""
    frame, components_in_first_scan = _jpeg_first_scan(data)
    if frame not in _JPEG_FRAMES:
        raise Unreadable()
    if frame != 0xC2 and components_in_first_scan >= len(image.layer):
        return 0
    # Pillow lists each component as (id, horizontal, vertical sampling, table); libjpeg keeps
    # whole MCUs of 8 x 8 blocks.
    h_max = max(c[1] for c in image.layer)
    v_max = max(c[2] for c in image.layer)
    mcus_across = -(-image.width // (8 * h_max))
    mcus_down = -(-image.height // (8 * v_max))
    blocks = sum(mcus_across * h * mcus_down * v for _, h, v, _ in image.layer)
    return blocks * 64 * 2


def _jpeg_first_scan(data: bytes) -> tuple[int, int]:
    """The JPEG's frame marker (0xC0...) and how many components its first scan carries, read
    from the markers before the first scan; Unreadable if they are malformed."""
    frame, position = None, 2
    try:
        while True:
            while data[position] == 0xFF and data[position + 1] == 0xFF:
                position += 1  # fill bytes
            if data[position] != 0xFF:
                raise Unreadable()
            marker = data[position + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                frame = marker
            if marker == 0xDA:
                if frame is None:
                    raise Unreadable()
                return frame, data[position + 4]
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    except IndexError:
        raise Unreadable() from None
