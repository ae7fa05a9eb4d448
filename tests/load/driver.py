"""Load driver for tests/load/test_invariants.py: a separate process that hits a running portal with many
parallel requests and prints one JSON line per request kind with the status codes it got.

    python -m tests.load.driver PLAN.json

The plan (written by the test) names the base URL, the people (e-mail, password, optional authenticator
secret) and the races to run: everyone registering the same units, everyone accepting the same transfer
codes, agents deciding the same claims at the same version, recall managers launching the same campaign.
Only the standard library: the driver must not share anything with the server but HTTP.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.cookiejar
import json
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def totp(secret: bytes, at: float, step_offset: int = 0) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as any authenticator app computes it."""
    counter = int(at // 30) + step_offset
    digest = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


class Session:
    """One person's browser: own cookies, no redirects followed (the status is what we check)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("Location", "")

    def sign_in(self, email: str, password: str, secret: str | None, step_offset: int) -> None:
        status, location = self.post("/signin", {"email": email, "password": password})
        assert status == 302, f"sign-in of {email}: {status}"
        if "/signin/code" in location:  # staff pass the authenticator step
            code = totp(base64.b64decode(secret), time.time(), step_offset)
            status, location = self.post(urllib.parse.urlsplit(location).path, {"code": code})
            assert status == 302 and "/signin" not in location, f"code step of {email}: {status} {location}"


def race(sessions: list[Session], path: str, data: dict) -> list[int]:
    """Everyone posts the same form at the same moment (a barrier releases them together)."""
    barrier = threading.Barrier(len(sessions))

    def one(session: Session) -> int:
        barrier.wait()
        return session.post(path, data)[0]

    with ThreadPoolExecutor(len(sessions)) as pool:
        return list(pool.map(one, sessions))


def main(plan_path: str) -> None:
    with open(plan_path, encoding="utf-8") as f:
        plan = json.load(f)
    base, deadline = plan["base"], time.monotonic() + plan["seconds"]

    def signed_in(person: dict, index: int) -> Session:
        session = Session(base)
        session.sign_in(person["email"], person["password"], person.get("secret"), person.get("step_offset", 0))
        return session

    owners = [signed_in(p, i) for i, p in enumerate(plan["owners"])]
    agents = [signed_in(p, i) for i, p in enumerate(plan["agents"])]
    managers = [signed_in(p, i) for i, p in enumerate(plan["managers"])]
    results: dict[str, Counter] = {kind: Counter() for kind in ("register", "transfer", "claim", "launch")}

    def run(kind: str, sessions: list[Session], path: str, data: dict) -> None:
        if time.monotonic() < deadline:
            results[kind].update(race(sessions, path, data))

    with ThreadPoolExecutor(4) as lanes:  # the four kinds of race run beside one another
        jobs = [
            lanes.submit(lambda: [run("register", owners, "/my/register", {"gtin": u["gtin"], "serial": u["serial"],
                                                                             "purchased_on": "2026-01-05"})
                                  for u in plan["units"]]),
            lanes.submit(lambda: [run("transfer", owners, "/transfer", {"code": code}) for code in plan["codes"]]),
            lanes.submit(lambda: [run("claim", agents, c["path"], {"target": "in_review", "version": c["version"]})
                                  for c in plan["claims"]]),
            lanes.submit(lambda: [run("launch", managers, path, {"remedy": "available"})
                                  for path in plan["launches"]]),
        ]
        for job in jobs:
            job.result()
    for kind, counts in results.items():
        print(json.dumps({"kind": kind, "statuses": {str(k): v for k, v in sorted(counts.items())}}))


if __name__ == "__main__":
    main(sys.argv[1])
