"""The pages a refused submit now leads to (post-redirect-get, issue 17; portal/core/drafts.py) speak the reader's
language: a refused transfer code, dispute and sign-in code, each shown by the form's GET after the 303."""
from __future__ import annotations

import pytest

from tests.factories import PASSWORD, build_world, login
from tests.support.forms import shown
from tests.support.leaks import english_in


@pytest.mark.parametrize("language", ["fr", "de"])
def test_refusals_shown_after_the_redirect_speak_the_readers_language(app, language):
    world = build_world(app)
    owner, staff = app.test_client(), app.test_client()
    login(owner, world.owner)
    login(staff, world.staff_a["admin"])  # enrols the test authenticator
    for client in (owner, staff):
        client.get(f"/language/{language}")
    staff.post("/signout")
    posts = {
        "transfer refused": (owner, owner.post("/transfer", data={"code": "ZZZZ-ZZZZ-ZZZZ"})),
        "dispute refused": (owner, owner.post("/my/dispute", data={
            "gtin": world.gtin_a, "serial": world.serials_a[0], "message": "court"})),
    }
    staff.post("/signin", data={"email": world.staff_a["admin"], "password": PASSWORD})
    posts["code refused"] = (staff, staff.post("/signin/code", data={"code": "000000"}))
    assert {name: post.status_code for name, (_c, post) in posts.items()} == dict.fromkeys(posts, 303)
    pages = {name: shown(client, post) for name, (client, post) in posts.items()}
    leaks = {}
    for name, response in pages.items():
        assert 400 <= response.status_code < 500, (name, response.status_code)
        if found := english_in(response.get_data(as_text=True), frozenset({"gtin"})):
            leaks[name] = found
    assert not leaks, leaks
