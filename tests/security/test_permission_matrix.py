"""Who may open what: every URL rule of the portal, with the answer each kind of visitor must get.

The matrix is the decision; the walk checks it against the running app. A rule missing from the
matrix fails `test_every_rule_has_a_decision`, so a new page cannot ship without someone deciding who
sees it. GET rules are visited by every actor. POST rules are posted (empty, CSRF off) by the actors who
must be turned away; actors allowed to send the form are marked CSRF, and test_csrf.py posts it as them
without a token.
"""
from __future__ import annotations

from tests.security.actors import CSRF, ENROL, SIGNIN, fills, outcome, rules, seed, snapshot
from tests.support.permissions import MATRIX

# MATRIX lives in tests/support/permissions.py (test_csrf.py reads it too): add new routes there.


def test_every_rule_has_a_decision(app):
    present = set(rules(app))
    undecided = sorted(present - set(MATRIX))
    stale = sorted(set(MATRIX) - present)
    assert not undecided, ("add these rules to MATRIX (tests/support/permissions.py) with the answer each actor "
                           "must get:\n" + "\n".join(undecided))
    assert not stale, "these rules no longer exist; remove them from MATRIX:\n" + "\n".join(stale)


def test_every_rule_answers_every_actor_as_declared(app):
    walk = seed(app)
    wrong = []
    for key, rule in sorted(rules(app).items()):
        method = key.split(" ", 1)[0]
        for path in fills(rule, walk.values):
            for actor, expected in MATRIX[key].items():
                if expected == CSRF:
                    continue  # allowed to send the form: test_csrf.py posts it without a token
                client = walk.clients[actor]
                got = outcome(client.get(path) if method == "GET" else client.open(path, method=method, data={}))
                if got != expected:
                    wrong.append(f"{key} ({path}) as {actor}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_unknown_record_ids_answer_404_not_500(app):
    """Every page with a record id in its path, asked by someone allowed to open it, for an id that does not
    exist, one past the 32-bit keys of the tables, and one past 64 bits: 404, never a database error."""
    walk = seed(app)
    wrong, checked = [], 0
    for key, rule in sorted(rules(app).items()):
        if not key.startswith("GET ") or "<int:" not in rule.rule or key.startswith("GET /api/"):
            continue
        allowed = [a for a, expected in MATRIX[key].items() if expected not in (401, 403, 404, SIGNIN, ENROL)]
        # A record the seeded world lacks (MISSING) answers 404 to all: ask as the one it would belong to.
        actor = allowed[0] if allowed else "admin" if key.startswith("GET /console/") else "owner"
        ints = [name for name in rule.arguments if f"<int:{name}>" in rule.rule]
        for record_id in (987654, 2**31, 2**63):
            for path in fills(rule, {**walk.values, **{name: record_id for name in ints}}):
                checked += 1
                got = walk.clients[actor].get(path).status_code
                if got != 404:
                    wrong.append(f"{key} ({path}) as {actor}: {got}")
    assert not wrong, "\n".join(wrong)
    assert checked > 100


def test_another_tenants_records_are_not_found_in_its_own_console(app):
    """Bravo's admin, in bravo's console, naming acme's records by their ids: 404 for every page and form
    (CSRF off), and nothing changes. The walk above enters acme's console; this checks each view's own
    tenant filter behind the gate."""
    walk = seed(app)
    client = walk.clients["other_tenant"]
    with app.app_context():
        before = snapshot()
    wrong, checked = [], 0
    for key, rule in sorted(rules(app).items()):
        method = key.split(" ", 1)[0]
        if not rule.rule.startswith("/console/<tenant>/") or not set(rule.arguments) - {"tenant", "name"}:
            continue
        for path in fills(rule, {**walk.values, "tenant": "bravo"}):
            checked += 1
            response = client.get(path) if method == "GET" else client.open(path, method=method, data={})
            if response.status_code != 404:
                wrong.append(f"{key} ({path}): {outcome(response)}")
    with app.app_context():
        after = snapshot()
    assert not wrong, "another tenant's record answered:\n" + "\n".join(wrong)
    assert checked > 60 and before == after
