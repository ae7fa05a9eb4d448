"""Forms that answer a refused submit with 303 to their page (portal/core/drafts.py: post-redirect-get)."""
from __future__ import annotations


def shown(client, response):
    """The page a submit leads to when it was refused (a 303 to the form, which shows the refusal with its 4xx
    status); any other answer (an accepted submit's 302, an error) as it came."""
    if response.status_code == 303:
        return client.get(response.headers["Location"])
    return response
