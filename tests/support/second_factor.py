"""Enrolling a second factor the way a person does, through the page (tests/security)."""
from __future__ import annotations

import re

from portal.accounts.second_factor import code_for, secret_from_text, step_at
from portal.core.db import utcnow

#: Staff of Acme without a second factor yet (the security tests add them as an analyst).
NEWCOMER = "newcomer@acme.test"


def enrol_through_the_page(client, email: str) -> list[str]:
    """Read the secret off the enrolment page, answer with its current code; the recovery codes shown after."""
    page = client.get("/account/second-factor").get_data(as_text=True)
    secret = secret_from_text(re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1))
    done = client.post("/account/second-factor", data={"code": code_for(secret, step_at(utcnow()))},
                       follow_redirects=True)  # post-redirect-get: the codes are shown by the GET it leads to
    assert done.status_code == 200, done.status_code
    return re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", done.get_data(as_text=True))
