"""Every form refuses a POST without its CSRF token, from someone allowed to send it, and changes nothing.

The list of forms is every POST rule of the URL map, so a new form is covered the day it appears. The
actor posting is one the permission matrix marks as allowed to send it. The integration API (bearer
tokens, no cookies), the EPCIS REST binding (the same tokens; it reads no session) and the scan-place
beacon (its signed token is the credential) are exempt by design; the exemptions Flask-WTF actually applies
must be exactly those.
"""
from __future__ import annotations

from portal.extensions import csrf
from tests.security.actors import ACTORS, CSRF, fill, rules, seed, snapshot
from tests.support.permissions import MATRIX

EXEMPT = {"POST /scans/place": "the signed scan token is the credential; it only adds a coarse place to a scan"}
#: Bearer-token APIs: a session cookie is no credential there, so a forged cross-site request carries none.
API_PREFIXES = ("POST /api/v1/", "POST /epcis/")


def form_rules(app) -> dict:
    return {key: rule for key, rule in rules(app).items()
            if key.startswith("POST ") and not key.startswith(API_PREFIXES) and key not in EXEMPT}


def test_only_the_api_and_the_declared_beacons_skip_csrf(app):
    values = {"tenant": "acme", "token": "t", "rest": "x", "gtin": "04012345000016", "serial": "S1", "number": "N1",
              "action": "launch"}
    skipped = set()
    for key, rule in rules(app).items():
        if not key.startswith("POST "):
            continue
        path = fill(rule, {**values, **{name: 1 for name in rule.arguments if name not in values}})
        with app.test_request_context(path, method="POST"):
            if csrf._is_exempt():  # the very check Flask-WTF makes before refusing a request
                skipped.add(key)
    expected = {key for key in rules(app) if key.startswith(API_PREFIXES)} | set(EXEMPT)
    assert skipped == expected


def test_every_form_names_an_actor_allowed_to_send_it(app):
    for key in form_rules(app):
        assert CSRF in MATRIX[key].values(), f"{key}: mark who may send this form as CSRF in the matrix"


def test_every_form_refuses_a_post_without_a_token_and_changes_nothing(app):
    walk = seed(app)  # signed in while CSRF is off in tests; now turn it on as in production
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        with app.app_context():
            before = snapshot()
        refused = []
        for key, rule in sorted(form_rules(app).items()):
            actor = next(a for a in ACTORS if MATRIX[key][a] == CSRF)
            response = walk.clients[actor].post(fill(rule, walk.values),
                                                data={"name": "x", "email": "x@example.test", "code": "123456"})
            body = response.get_data(as_text=True)
            if response.status_code != 400 or "form has expired" not in body:
                refused.append(f"{key} as {actor}: {response.status_code}")
        with app.app_context():
            after = snapshot()
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert not refused, "accepted without a CSRF token:\n" + "\n".join(refused)
    assert before == after
