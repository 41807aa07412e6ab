"""Profile photos under attack: a worker's peak memory while 8 worst-case uploads arrive at once.

Run: .venv/bin/python bench/images.py   (numbers go to stdout; nothing asserted)

1. A fresh SQLite instance built as `make run` builds it (bench/demo_instance.py), small.
2. gunicorn with the repository's gunicorn.conf.py, as `make run` serves the app, but one worker
   with 4 threads (WEB_CONCURRENCY=1, DIRECTORY_THREADS=4) and no indexer beside it, so the one
   worker is the only child of gunicorn's master and every upload lands in it.
3. Eight demo practice owners sign in (each owner@<practice>.demo.example), each on a profile of
   their own practice (so no upload is refused as made on an older version of the profile).
4. Rounds: the eight post the same crafted file to the photo form at the same moment (a
   barrier); a last round posts eight different worst files at once. Before each round the
   worker's peak RSS is reset (/proc/<pid>/clear_refs); after it, its VmHWM is the round's peak.
   Each round prints the statuses it got (302: stored, 400: refused on the form, 429: busy) and
   the worker's peak RSS and how far it rose above the baseline (the worker's RSS after the
   sign-ins and a warm-up upload of a small photo).

The files are the worst that can be crafted small (all under the 5 MB upload limit): flat
images compress to almost nothing, so the pixel count, not the file size, is what an attacker
controls. Sizes: the 25 MP that photos accepted before issue 23 (5000 x 5000), a 50 MP
phone-sized JPEG, and files just under each limit of directory/images.py as it is now
(change them with the limits: a round of 400s is a file that is no longer accepted).
"""

import io
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_instance import CSRF, ROOT, Browser, build
from PIL import Image

PASSWORD = "try-the-demo-2026"  # directory.demo.DEMO_OWNER_PASSWORD
UPLOADS = 8
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


def _saved(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width x height and carries one tiny compressed row: a bomb's shape."""
    one = _saved(Image.new("L", (1, 1)), "PNG")
    ihdr = one.index(b"IHDR")
    body = width.to_bytes(4, "big") + height.to_bytes(4, "big") + one[ihdr + 12 : ihdr + 17]
    import zlib

    chunk = b"IHDR" + body
    return (
        one[:ihdr - 4] + len(body).to_bytes(4, "big") + chunk
        + zlib.crc32(chunk).to_bytes(4, "big") + one[ihdr + 21 :]
    )  # fmt: skip


def _animated(frames: list[Image.Image], fmt: str, **options) -> bytes:
    return _saved(frames[0], fmt, save_all=True, append_images=frames[1:], **options)


def _cases() -> tuple[list[tuple[str, bytes]], list[tuple[str, bytes]]]:
    """(the worst files photos accepted before issue 23, the worst accepted now)."""
    flat = (10, 20, 30)

    def rgba(w, h, alpha=128):
        return Image.new("RGBA", (w, h), (*flat, alpha))

    def jpeg(mode, w, h, **options):
        colour = (*flat, 40) if mode == "CMYK" else flat
        return _saved(Image.new(mode, (w, h), colour), "JPEG", **options)

    before = [
        ("PNG RGBA 5000x5000", _saved(rgba(5000, 5000), "PNG")),
        ("PNG palette+alpha 5000x5000", _saved(
            Image.new("P", (5000, 5000), 3), "PNG", transparency=0)),
        ("WebP RGBA 5000x5000", _saved(rgba(5000, 5000), "WEBP", lossless=True)),
        ("JPEG progressive 4:4:4 5000x5000", jpeg(
            "RGB", 5000, 5000, progressive=True, subsampling=0)),
        ("JPEG progressive CMYK 5000x5000", jpeg("CMYK", 5000, 5000, progressive=True)),
    ]  # fmt: skip
    now = [
        ("JPEG baseline 8660x5773 (50 MP)", jpeg("RGB", 8660, 5773)),
        ("JPEG baseline 3199x3199 (decoded whole)", jpeg("RGB", 3199, 3199)),
        ("JPEG progressive 4:2:0 5400x4000", jpeg("RGB", 5400, 4000, progressive=True)),
        ("JPEG progressive CMYK 3600x2800", jpeg("CMYK", 3600, 2800, progressive=True)),
        ("PNG RGB 5000x3800", _saved(Image.new("RGB", (5000, 3800), flat), "PNG")),
        ("PNG RGBA 3700x2780", _saved(rgba(3700, 2780), "PNG")),
        ("PNG palette+alpha 3500x2650", _saved(
            Image.new("P", (3500, 2650), 3), "PNG", transparency=0)),
        ("WebP RGBA 2400x1850, 20 frames", _animated(
            [rgba(2400, 1850, alpha) for alpha in range(100, 120)], "WEBP", lossless=True)),
        ("PNG RGBA 3700x2780, 20 frames (APNG)", _animated(
            [rgba(3700, 2780, alpha) for alpha in range(100, 120)], "PNG")),
        ("PNG header 65535x65535 (bomb)", png_header_only(65535, 65535)),
    ]  # fmt: skip
    return before, now


class Client(Browser):
    """One browser that signs in as a demo owner and uploads photos (uploads take long)."""

    def __init__(self, base: str):
        super().__init__(base, timeout=300)

    def sign_in(self, email: str) -> None:
        _, page = self.request("/login")
        form = {"email": email, "password": PASSWORD, "csrf_token": CSRF.search(page).group(1)}
        status, _ = self.request("/login", form)
        if status != 302:
            raise SystemExit(f"sign-in of {email} answered {status}")

    def photo_form(self, slug: str) -> dict[str, str]:
        """The hidden fields of the photo form on the profile's editor (token, version...)."""
        status, page = self.request(f"/dashboard/profiles/{slug}/edit")
        if status != 200:
            raise SystemExit(f"the editor of {slug} answered {status}")
        start = page.index(f'action="/dashboard/profiles/{slug}/photo"')
        return dict(HIDDEN.findall(page[start : page.index("</form>", start)]))

    def upload(self, slug: str, fields: dict[str, str], data: bytes) -> int:
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in fields.items():
            if name != "form_complete":
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                             f"\r\n\r\n{value}\r\n".encode())  # fmt: skip
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="me"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
        # The end sentinel last, after the file, as a browser sends it.
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="form_complete"'
                     f"\r\n\r\n1\r\n--{boundary}--\r\n".encode())  # fmt: skip
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        status, _ = self.request(f"/dashboard/profiles/{slug}/photo", b"".join(parts), headers)
        return status


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _worker(master: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise SystemExit("no gunicorn worker")


def _owners(env: dict) -> list[tuple[str, str]]:
    """(owner's email, a profile of their practice) for the first UPLOADS practices."""
    script = f"""
from sqlalchemy import select
from directory import create_app, demo
from directory.db import db
from directory.practices.models import Tenant
from directory.practitioners.models import Practitioner
app = create_app()
with app.app_context():
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id).limit({UPLOADS})):
        slug = db.session.scalar(select(Practitioner.slug).where(
            Practitioner.tenant_id == tenant.id).order_by(Practitioner.id).limit(1))
        print(demo.demo_owner_email(tenant.slug), slug)
"""
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True,
                          capture_output=True, text=True)  # fmt: skip
    return [tuple(line.split()) for line in done.stdout.splitlines()]


def main() -> None:
    folder, env = build(60, "images-bench-")
    port = _free_port()
    env = {
        **env,
        "DIRECTORY_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "DIRECTORY_THREADS": "4",
        "DIRECTORY_INDEXER": "off",
        "FLASK_SESSION_COOKIE_SECURE": "false",
        "FLASK_REMEMBER_COOKIE_SECURE": "false",
    }
    owners = _owners(env)
    before, now = _cases()
    cases = before + now
    print(f"# {UPLOADS} uploads at once per round, 1 worker x 4 threads, {os.cpu_count()} cores")
    Image.MAX_IMAGE_PIXELS = None  # this process only reads the crafted files' headers
    for label, data in cases:
        with Image.open(io.BytesIO(data)) as image:
            megapixels = image.width * image.height / 1e6
            print(f"  {label}: {len(data) / 1024:.0f} KB, {megapixels:.1f} MP")
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
         "directory:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not become ready") from None
                time.sleep(0.3)
        worker = _worker(server.pid)
        clients = []
        for email, slug in owners:
            client = Client(base)
            client.sign_in(email)
            clients.append((client, slug))
        small = _saved(Image.new("RGB", (400, 300), (200, 120, 90)), "JPEG")
        client, slug = clients[0]
        client.upload(slug, client.photo_form(slug), small)  # warm-up: Pillow's code loaded
        baseline = _status(worker, "VmRSS")
        print(f"worker baseline RSS {baseline:.0f} MB")
        clear_refs = Path(f"/proc/{worker}/clear_refs")
        rounds = [(label, [data] * UPLOADS) for label, data in cases]
        worst = [data for label, data in now if "bomb" not in label]
        rounds.append(("mixed: 8 of the worst accepted now", (worst * UPLOADS)[:UPLOADS]))
        overall = baseline
        for label, files in rounds:
            forms = [client.photo_form(slug) for client, slug in clients]
            barrier = threading.Barrier(UPLOADS)
            statuses: list[int] = []

            def one(n: int, files=files, forms=forms, barrier=barrier, statuses=statuses):
                client, slug = clients[n]
                barrier.wait()
                statuses.append(client.upload(slug, forms[n], files[n]))

            start = _status(worker, "VmRSS")
            clear_refs.write_text("5")  # peak RSS := current RSS
            started = time.perf_counter()
            threads = [threading.Thread(target=one, args=(n,)) for n in range(UPLOADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.perf_counter() - started
            peak = _status(worker, "VmHWM")
            overall = max(overall, peak)
            counts = ", ".join(f"{statuses.count(s)} x {s}" for s in sorted(set(statuses)))
            print(f"{label:<42} {counts:<22} RSS {start:4.0f} MB, peak {peak:4.0f} MB "
                  f"(+{peak - baseline:4.0f}), {took:5.1f} s")  # fmt: skip
        print(f"worker peak RSS {overall:.0f} MB, baseline {baseline:.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


if __name__ == "__main__":
    main()
