"""Marketplace webhooks: events per second one outbox worker delivers to a local HTTP receiver, and what the
marketplace API's reads cost, in-process on SQLite.

    .venv/bin/python bench/webhooks.py                 # 600 events (200 webhooks x 3 changes)
    .venv/bin/python bench/webhooks.py --webhooks 1000

The events are made as production makes them (subscriptions through resale.marketplace.subscribe, one
revocation announced through the proof_changed signal, then the sweep), then delivered by calling
`deliver_due` until the queue is empty, as `flask --app portal worker` does, each one signed and POSTed to a
ThreadingHTTPServer on 127.0.0.1 that answers 204 at once. Prints the load average first.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from resale import build  # the resale bench's world: a tenant, a unit, an owner and a proof


class Quick(BaseHTTPRequestHandler):
    count = 0

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).count += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    from portal.extensions import db
    from portal.notifications.services import deliver_due
    from portal.resale import marketplace
    from portal.resale.queries import find_proof

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quick)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    with tempfile.TemporaryDirectory() as folder:
        app, token, _gtin, _serial = build(folder)
        app.config["WEBHOOK_ALLOW_PRIVATE"] = True
        load = os.getloadavg()
        print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        with app.app_context():
            _, key = marketplace.issue_client(name="Bench", scopes=["proofs:verify", "proofs:subscribe"], days=5,
                                              actor="bench")
            clients = []
            for n in range(0, args.webhooks, 3):  # three webhooks per client on the one proof
                client, _ = marketplace.issue_client(name=f"M{n}", scopes=["proofs:subscribe"], days=5,
                                                     actor="bench")
                clients.append(client)
                for _ in range(min(3, args.webhooks - n)):
                    marketplace.subscribe(client, token, url)
            db.session.commit()
            proof = find_proof(token)
            start = time.perf_counter()
            for state in ("recalled", "valid", "revoked"):  # three changes, each announced to every webhook
                for subscription in marketplace._live_subscriptions(proof.id):
                    subscription.last_state = "-" + state
                made = marketplace.announce(proof)
                db.session.commit()
            enqueue_s = time.perf_counter() - start
            events = args.webhooks * 3
            start = time.perf_counter()
            sent = 0
            while True:
                done = deliver_due(limit=1000)
                sent += done
                if not done:
                    break
            deliver_s = time.perf_counter() - start
        print(f"{events} events enqueued in {enqueue_s:.2f} s ({events / enqueue_s:,.0f}/s; last round made {made})")
        print(f"{sent} delivered, signed, in {deliver_s:.2f} s: {sent / deliver_s:,.0f} events/s "
              f"(receiver counted {Quick.count})")
        client = app.test_client()
        headers = {"Authorization": f"Bearer {key}"}
        for label, path in (("verify by id", f"/api/v1/marketplace/proofs/{token}"),
                            ("sale check", f"/api/v1/marketplace/proofs/{token}/sale-check")):
            client.get(path, headers=headers)
            laps = []
            for _ in range(args.requests):
                begin = time.perf_counter()
                answer = client.get(path, headers=headers)
                laps.append((time.perf_counter() - begin) * 1000)
                assert answer.status_code == 200, answer.status_code
            laps.sort()
            print(f"{label:<14} median {statistics.median(laps):.2f} ms, p95 {laps[int(len(laps) * 0.95) - 1]:.2f} ms")
    server.shutdown()


if __name__ == "__main__":
    main()
