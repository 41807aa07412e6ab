"""Uploaded images are decoded within a memory budget, refused on their header when they would
need more, and decoded one at a time per process (directory/images.py)."""

import io
import struct
import threading
import zlib

import pytest
from PIL import Image, ImageFile, PngImagePlugin, WebPImagePlugin

from directory import images

FORMATS = {"JPEG": {}, "PNG": {}, "WEBP": {}}


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png_declaring(width: int, height: int, mode: str = "RGBA", **options) -> bytes:
    """A PNG whose header declares width x height but which holds one pixel: a bomb before it
    is decoded."""
    one = saved(Image.new(mode, (1, 1)), "PNG", **options)
    at = one.index(b"IHDR")  # length, type, width, height, 5 more bytes, CRC
    header = b"IHDR" + struct.pack(">II", width, height) + one[at + 12 : at + 17]
    return one[:at] + header + struct.pack(">I", zlib.crc32(header)) + one[at + 21 :]


def jpeg_declaring(width: int, height: int, **options) -> bytes:
    """A 16 x 16 JPEG whose frame header declares width x height."""
    data = bytearray(saved(Image.new("RGB", (16, 16), "red"), "JPEG", **options))
    frame = data.index(b"\xff\xc2" if options.get("progressive") else b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_declaring(width: int, height: int) -> bytes:
    """An animated WebP of two 16 x 16 frames on a canvas that declares width x height."""
    frames = [Image.new("RGBA", (16, 16), colour) for colour in ("red", "blue")]
    data = bytearray(saved(frames[0], "WEBP", save_all=True, append_images=frames[1:]))
    at = data.index(b"VP8X")  # type, size, flags, 3 reserved bytes, width - 1, height - 1
    data[at + 12 : at + 18] = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return bytes(data)


class Decoding(Exception):
    """An image was about to be decoded."""


@pytest.fixture
def no_decoding(monkeypatch):
    """Any image about to be decoded raises Decoding instead."""

    def load(self):
        raise Decoding(f"{self.format} {self.size}")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    monkeypatch.setattr(WebPImagePlugin.WebPImageFile, "load", load)


@pytest.mark.parametrize(
    ("data", "megapixels"),
    [
        (png_declaring(8000, 8000), 64),  # more pixels than any photo
        (png_declaring(6000, 5000), 30),  # scaling a 30 MP RGBA image takes 280 MB
        (png_declaring(6000, 5000, "P"), 30),  # a palette is made RGB whole before scaling
        (jpeg_declaring(6000, 5000, progressive=True), 30),  # every coefficient is kept
        (webp_declaring(5000, 5000), 25),  # libwebp and Pillow hold four copies
    ],
    ids=["png-pixels", "png-rgba", "png-palette", "jpeg-progressive", "webp"],
)
def test_a_file_declaring_more_than_it_may_have_is_refused_before_decoding(
    no_decoding, data, megapixels
):
    assert len(data) < 2000
    with pytest.raises(images.TooLarge) as refused:
        images.reencoded(data, FORMATS, 1600)
    assert refused.value.megapixels == megapixels


@pytest.mark.parametrize(
    "data",
    [
        png_declaring(images.ADVISED_SIDE, images.ADVISED_SIDE),
        png_declaring(images.ADVISED_SIDE, images.ADVISED_SIDE, "P", transparency=0),
        webp_declaring(images.ADVISED_SIDE, images.ADVISED_SIDE),
        jpeg_declaring(images.ADVISED_SIDE, images.ADVISED_SIDE, progressive=True, subsampling=0),
    ],
    ids=["png-rgba", "png-palette-alpha", "webp", "jpeg-progressive-444"],
)
def test_what_a_refusal_advises_is_within_the_budget_in_every_format(no_decoding, data):
    with pytest.raises(Decoding):  # not refused
        images.reencoded(data, FORMATS, 1600)


def quadrants(size: tuple[int, int]) -> Image.Image:
    width, height = size
    image = Image.new("RGB", size, "red")
    image.paste("lime", (width // 2, 0, width, height // 2))
    image.paste("blue", (0, height // 2, width // 2, height))
    image.paste("white", (width // 2, height // 2, width, height))
    return image


COLOURS = {"red": (255, 0, 0), "lime": (0, 255, 0), "blue": (0, 0, 255), "white": (255,) * 3}


def corners(image: Image.Image) -> list[str]:
    """The colour names at the middle of each quarter of `image`, row by row."""
    w, h = image.size
    names = []
    for y in (h // 4, 3 * h // 4):
        for x in (w // 4, 3 * w // 4):
            pixel = image.getpixel((x, y))
            distance = {
                name: sum(map(abs, map(int.__sub__, rgb, pixel))) for name, rgb in COLOURS.items()
            }
            names.append(min(distance, key=distance.get))
    return names


def test_a_large_jpeg_is_reduced_while_decoding_and_turned_upright(monkeypatch):
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned a quarter clockwise
    original = quadrants((1600, 1200))
    data = saved(original, "JPEG", quality=95, exif=exif.tobytes())
    # Decoded whole it would take 7.7 MB; at 1/8 (200 x 150), under 0.2 MB.
    monkeypatch.setattr(images, "DECODE_BUDGET", 200_000)
    stored, fmt = images.reencoded(data, FORMATS, 100)
    image = Image.open(io.BytesIO(stored))
    assert fmt == "JPEG" and image.size == (75, 100)
    assert not image.getexif()
    assert corners(original) == ["red", "lime", "blue", "white"]
    assert corners(image) == ["blue", "red", "white", "lime"]

    monkeypatch.setattr(images, "DECODE_BUDGET", 100_000)
    with pytest.raises(images.TooLarge):
        images.reencoded(data, FORMATS, 100)


def _first_scan_of_one_component(data: bytes) -> bytes:
    """`data` with its first scan's header cut to its first component, as in a JPEG whose
    components come in scans of their own."""
    at = data.index(b"\xff\xda")  # FF DA, length, count, (component, tables) each, 3 bytes
    pairs, rest = at + 5, at + 5 + 2 * data[at + 4]
    scan = b"\xff\xda" + struct.pack(">HB", 8, 1) + data[pairs : pairs + 2] + data[rest : rest + 3]
    return data[:at] + scan + data[rest + 3 :]


@pytest.mark.parametrize("kind", ["progressive", "several scans"])
def test_a_jpeg_in_several_scans_is_costed_by_all_its_coefficients(monkeypatch, kind):
    baseline = saved(quadrants((800, 800)), "JPEG")
    # 800 x 800 at 4:2:0: 2,500 MCUs of 6 blocks of 64 coefficients of 2 bytes, 1.9 MB.
    if kind == "progressive":
        several = saved(quadrants((800, 800)), "JPEG", progressive=True)
    else:
        several = _first_scan_of_one_component(baseline)
    monkeypatch.setattr(images, "DECODE_BUDGET", 1_000_000)
    stored, _ = images.reencoded(baseline, FORMATS, 100)
    assert Image.open(io.BytesIO(stored)).size == (100, 100)
    with pytest.raises(images.TooLarge):
        images.reencoded(several, FORMATS, 100)


@pytest.mark.parametrize(("frame", "kind"), [(0xC3, "lossless"), (0xC9, "arithmetic")])
def test_jpegs_that_cannot_be_reduced_while_decoding_are_not_read(no_decoding, frame, kind):
    data = bytearray(saved(Image.new("RGB", (16, 16), "red"), "JPEG"))
    data[data.index(b"\xff\xc0") + 1] = frame
    with pytest.raises(images.Unreadable):
        images.reencoded(bytes(data), FORMATS, 100)


def test_a_jpeg_with_more_pictures_is_read_as_its_first():
    # MPO: a camera's stereo pair, a phone's depth or gain map after the photo.
    first, second = Image.new("RGB", (40, 30), "red"), Image.new("RGB", (40, 30), "blue")
    data = saved(first, "MPO", save_all=True, append_images=[second])
    stored, fmt = images.reencoded(data, FORMATS, 100)
    image = Image.open(io.BytesIO(stored))
    assert fmt == "JPEG" and image.format == "JPEG" and image.size == (40, 30)
    red, _, blue = image.getpixel((20, 15))
    assert red > 200 and blue < 50


def test_a_palette_png_is_scaled_in_colour_and_keeps_its_transparency():
    image = Image.new("P", (300, 200), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.paste(0, (0, 0, 150, 200))  # the left half transparent
    stored, fmt = images.reencoded(saved(image, "PNG", transparency=0), FORMATS, 100)
    result = Image.open(io.BytesIO(stored))
    assert fmt == "PNG" and result.mode == "RGBA" and result.size == (100, 67)
    assert result.getpixel((10, 30))[3] == 0 and result.getpixel((90, 30)) == (255, 0, 0, 255)


def test_a_png_whose_text_inflates_beyond_a_megabyte_is_not_read():
    info = PngImagePlugin.PngInfo()
    for key in ("a", "b"):
        info.add_text(key, "x" * 1_000_000, zip=True)  # 1 MB each, 1 KB compressed
    data = saved(Image.new("RGB", (10, 10)), "PNG", pnginfo=info)
    assert len(data) < 5000
    with pytest.raises(images.Unreadable):
        images.reencoded(data, FORMATS, 100)


def test_images_are_decoded_one_at_a_time(monkeypatch):
    decoding, finish = threading.Event(), threading.Event()
    reencoded = images._reencoded

    def slow(*args):
        decoding.set()
        finish.wait(timeout=60)
        return reencoded(*args)

    monkeypatch.setattr(images, "_reencoded", slow)
    data = saved(Image.new("RGB", (40, 30)), "PNG")
    results = []
    first = threading.Thread(target=lambda: results.append(images.reencoded(data, FORMATS, 100)))
    first.start()
    try:
        assert decoding.wait(timeout=60)
        monkeypatch.setattr(images, "WAIT_SECONDS", 0)
        with pytest.raises(images.Busy) as busy:
            images.reencoded(data, FORMATS, 100)
        assert busy.value.status == 429 and busy.value.retry_after == 60
    finally:
        finish.set()
        first.join()
    assert results[0][1] == "PNG"
    monkeypatch.setattr(images, "_reencoded", reencoded)
    assert images.reencoded(data, FORMATS, 100)[1] == "PNG"  # the turn was given back


def test_a_refused_image_gives_its_turn_back(monkeypatch):
    monkeypatch.setattr(images, "WAIT_SECONDS", 0)
    refused = [(png_declaring(8000, 8000), images.TooLarge), (b"junk", images.Unreadable)]
    for data, refusal in refused:
        with pytest.raises(refusal):
            images.reencoded(data, FORMATS, 100)
        assert not images._TURN.locked()


def test_a_certificate_scan_waits_for_the_same_turn_as_photos(monkeypatch):
    """Certificates are decoded by the same code, within the same budget and turn: while
    another image holds the turn, a scan is refused as busy, not decoded beside it."""
    from directory.practitioners import documents

    monkeypatch.setattr(images, "WAIT_SECONDS", 0)
    scan = io.BytesIO(saved(Image.new("RGB", (850, 1100), "white"), "PNG"))
    assert images._TURN.acquire(timeout=5)
    try:
        with pytest.raises(images.Busy):
            documents.accepted(scan)
    finally:
        images._TURN.release()
    scan.seek(0)
    assert documents.accepted(scan)[1] == "png"
