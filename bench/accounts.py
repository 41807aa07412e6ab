"""Whether sign-in and password reset take as long for an address without an account as for
one with an account (the time must not tell which addresses have accounts).

Run: .venv/bin/python bench/accounts.py [--pairs 100]   (numbers go to stdout; nothing asserted)

In-process with the test client, on the database DATABASE_URL names (its tables are created if
missing; what the run adds is deleted afterwards), else on SQLite in a temporary folder. The
password hash is the tests' scrypt:16384:8:1 unless --hash-method says otherwise: cheaper than
production's, so the rest of the work is a larger share and a difference in it shows more (and
the run stays short). Each pair has an account's address and an unknown one, and posts the
form once for each, in an order that alternates from pair to pair, each post from an IP of its
own: every address has as few earlier attempts as the other (its own attempts are what the
throttles count first). The limits per address are lifted (the warm-up posts for the first
addresses too), so no refusal is reached; their counting still runs. Sign-in posts a wrong
password (what someone probing addresses sends); reset posts the address (the unknown one is
mailed its note); "reset again" posts the same addresses once more (the account gets another
link, the unknown address nothing: it had its note today). Printed per form: the median of each
side in ms, known / unknown, in how many pairs the known address took longer, and the median of
the pairs' differences.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _measure(client, pairs: int, post) -> tuple[list[float], list[float]]:
    known, unknown = [], []
    for n in range(pairs):
        order = ((True, known), (False, unknown))
        for is_known, samples in order if n % 2 else reversed(order):
            ip = f"10.{n // 250}.{n % 250}.{1 + is_known}"
            began = time.perf_counter()
            response = post(client, is_known, n, ip)
            samples.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"unexpected {response.status_code} from {ip}")
    return known, unknown


def _report(label: str, known: list[float], unknown: list[float]) -> None:
    k, u = statistics.median(known), statistics.median(unknown)
    pairs = list(zip(known, unknown, strict=True))
    slower = sum(a > b for a, b in pairs)
    # Per pair, less swayed by the machine's load changing over the run than the medians are.
    difference = statistics.median(a - b for a, b in pairs)
    print(
        f"{label}: known {k:.2f} ms, unknown {u:.2f} ms (medians of {len(known)}), "
        f"known/unknown {k / u:.3f}; known slower in {slower} of {len(pairs)} pairs, "
        f"by {difference:+.2f} ms (median)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--hash-method", default="scrypt:16384:8:1", help="werkzeug's method")
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="accounts-bench-"))
    os.environ["DIRECTORY_INSTANCE_PATH"] = str(folder)
    from sqlalchemy import delete

    from directory import create_app
    from directory.accounts import passwords
    from directory.accounts.models import LoginAttempt, ResetRequest, User
    from directory.db import db, now_utc
    from directory.mail import MailMessage

    lifted = 10**9
    app = create_app(
        {
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": options.hash_method,
            "LOGIN_FAILURES_UNDER_ATTACK": lifted,
            "LOGIN_FAILURES_CEILING": lifted,
            "RESET_REQUESTS_PER_ADDRESS": lifted,
        }
    )
    run = uuid.uuid4().hex[:8]

    def email(is_known: bool, n: int) -> str:
        return f"{'bench' if is_known else 'nobody'}-{run}-{n}@example.com"

    with app.app_context():
        db.create_all()
        password_hash = passwords.hash_password("the bench's own passphrase")
        db.session.add_all(
            User(
                email=email(True, n),
                name="Bench Account",
                password_hash=password_hash,
                email_verified_at=now_utc(),
            )
            for n in range(options.pairs)
        )
        db.session.commit()
    database = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(f"database: {database}; hash: {app.config['PASSWORD_HASH_METHOD']}")

    def sign_in(client, is_known, n, ip):
        data = {"email": email(is_known, n), "password": "not the password at all"}
        return client.post("/login", data=data, environ_base={"REMOTE_ADDR": ip})

    def reset(client, is_known, n, ip):
        data = {"email": email(is_known, n)}
        return client.post("/password/reset", data=data, environ_base={"REMOTE_ADDR": ip})

    client = app.test_client()
    try:
        for label, post in (("sign-in", sign_in), ("reset", reset), ("reset again", reset)):
            _measure(client, 3, post)  # warm up: templates, connections, the dummy hash
            _report(label, *_measure(client, options.pairs, post))
    finally:
        with app.app_context():
            addresses = [email(k, n) for k in (True, False) for n in range(options.pairs)]
            db.session.execute(delete(MailMessage).where(MailMessage.to.in_(addresses)))
            db.session.execute(delete(LoginAttempt).where(LoginAttempt.email_key.in_(addresses)))
            db.session.execute(delete(ResetRequest).where(ResetRequest.email_key.in_(addresses)))
            db.session.execute(delete(User).where(User.email.in_(addresses)))
            db.session.commit()


if __name__ == "__main__":
    main()
