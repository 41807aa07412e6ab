"""Credential documents: peak memory and time of accepting the worst images the limits allow.

Run: .venv/bin/python bench/documents.py   (numbers go to stdout; nothing asserted)

Each case is made in a child process and written to a temporary file; another child process,
which has only imported the app, reads it and runs documents.accepted() on it, and reports how
much its peak RSS (ru_maxrss) grew and how long it took. Cases: 12 MP (the limit) as an RGBA PNG,
a 16-bit grey PNG, a flat CMYK JPEG, progressive RGB and CMYK JPEGs of noise (the largest
decoder buffers), each with an EXIF orientation that makes the page turn (one more copy); and,
for comparison, photos.reencode() on the largest RGBA PNG photos accept (directory/images.py's
budget; bench/images.py measures photos under concurrent uploads).
"""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
W, H = 4000, 3000  # 12 MP, documents.MAX_PIXELS

MAKE = """
import io, sys
from PIL import Image
kind, path, w, h = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
exif = Image.Exif(); exif[0x0112] = 6  # "rotate 90": exif_transpose makes a copy
out = io.BytesIO()
if kind == "png-rgba":
    Image.new("RGBA", (w, h), (10, 20, 30, 128)).save(out, "PNG", exif=exif.tobytes())
elif kind == "png-16bit":
    Image.new("I;16", (w, h), 300).save(out, "PNG")
elif kind == "jpeg-cmyk":
    Image.new("CMYK", (w, h), (10, 20, 30, 40)).save(out, "JPEG", exif=exif.tobytes())
elif kind == "jpeg-rgb-progressive-noise":
    Image.effect_noise((w, h), 60).convert("RGB").save(
        out, "JPEG", exif=exif.tobytes(), quality=75, progressive=True)
elif kind == "jpeg-cmyk-progressive-noise":
    Image.effect_noise((w, h), 60).convert("CMYK").save(
        out, "JPEG", exif=exif.tobytes(), quality=70, progressive=True)
open(path, "wb").write(out.getvalue())
"""

MEASURE = """
import io, resource, sys, time
sys.path.insert(0, sys.argv[3])
from directory import create_app
from directory.practitioners import documents, photos
data = open(sys.argv[1], "rb").read()
accept = photos.reencode if sys.argv[2] == "photo" else documents.accepted
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
stored, ext = accept(io.BytesIO(data))
took = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{len(data) / 1e6:6.2f} MB in, {len(stored) / 1e6:6.2f} MB .{ext} out, "
      f"peak RSS +{(peak - base) / 1024:4.0f} MB, {took:5.2f} s")
"""

CASES = [
    ("png-rgba", "document", W, H),
    ("png-16bit", "document", W, H),
    ("jpeg-cmyk", "document", W, H),
    ("jpeg-rgb-progressive-noise", "document", W, H),
    ("jpeg-cmyk-progressive-noise", "document", W, H),
    ("png-rgba", "photo", 3700, 2780),
]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for kind, accept, w, h in CASES:
            path = str(Path(folder) / f"{kind}-{w}x{h}")
            subprocess.run([sys.executable, "-c", MAKE, kind, path, str(w), str(h)], check=True)
            result = subprocess.run(
                [sys.executable, "-c", MEASURE, path, accept, str(ROOT)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            label = f"{accept} {kind} {w}x{h}"
            print(f"{label:<52} {result.stdout.strip()}")


if __name__ == "__main__":
    main()
