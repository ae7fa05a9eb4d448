"""What a proof's live answers cost, in-process through the Flask test client (no network, one thread).

    .venv/bin/python bench/resale.py                  # 300 requests per answer
    .venv/bin/python bench/resale.py --requests 1000

Builds a SQLite database in a temp folder through the real services (a tenant, a model, a unit registered
to an owner with a receipt, a launched recall on another model, a proof), then asks for the proof's page, its
JSON status and its credential (an Ed25519 signature each time), and, as the yardstick, the typed product
lookup page of the same unit. Prints the median and 95th percentile in milliseconds and requests per second.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(folder: str):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.accounts.services import create_user
    from portal.catalog.services import add_model, create_tenant, create_unit
    from portal.demo import gtin_for
    from portal.extensions import db
    from portal.ownership.services import register_unit
    from portal.resale.services import create_proof

    app = create_app({"SECRET_KEY": "bench", "KEY_ENCRYPTION_KEY": "zxdrC0Zt2Oa7J7wKfZC8m5Q4cS7Vv3I0b3Jx6p0n9dA=",
                      "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3", "UPLOAD_FOLDER": f"{folder}/uploads",
                      "MAIL_FOLDER": f"{folder}/mail", "AUDIT_CHECKPOINT_FILE": f"{folder}/audit.jsonl",
                      "BASE_URL": "http://portal.bench", "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        upgrade()
        tenant = create_tenant("acme", "Acme Watches", ["4012345"], actor="bench")
        model = add_model(tenant, gtin=gtin_for("4012345", 1), name="Acme One", warranty_months=24, actor="bench")
        unit = create_unit(tenant, gtin=model.gtin, serial="ACME-0001", manufactured_on=date(2025, 1, 10),
                           actor="bench")
        owner = create_user("owner@bench.test", "correct horse battery", verified=True)
        ownership = register_unit(owner, unit, purchased_on=date(2025, 5, 3), retailer="Shop")
        _, token = create_proof(owner, ownership, days=30)
        db.session.commit()
        return app, token, model.gtin, unit.serial


def timed(client, path: str, n: int) -> tuple[float, float, float]:
    client.get(path)  # warm: templates compiled, statements cached
    laps = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path)
        laps.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    laps.sort()
    return statistics.median(laps), laps[int(len(laps) * 0.95) - 1], 1000 * n / sum(laps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, token, gtin, serial = build(folder)
        client = app.test_client()
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
              f"{args.requests} requests each, in-process")
        print(f"{'answer':<40}{'median ms':>10}{'p95 ms':>10}{'req/s':>9}")
        for label, path in (("proof page  /proof/<token>", f"/proof/{token}"),
                            ("JSON status /proof/<token>/status", f"/proof/{token}/status"),
                            ("credential  /proof/<token>/credential", f"/proof/{token}/credential"),
                            ("yardstick: typed lookup page", f"/lookup?gtin={gtin}&serial={serial}")):
            median, p95, rate = timed(client, path, args.requests)
            print(f"{label:<40}{median:>10.2f}{p95:>10.2f}{rate:>9.0f}")


if __name__ == "__main__":
    main()
