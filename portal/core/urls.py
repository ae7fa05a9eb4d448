"""Links: a page's own, built once per process; absolute ones for e-mails and printed matter, built from
BASE_URL (works outside a request too); and the one check that a `next` address a visitor hands us stays
on this site."""
from urllib.parse import quote, urlsplit

from flask import Flask, current_app
from flask.globals import _cv_request

#: Links kept at most; past it the memory starts again (a page's `next=` links are one per address).
KEPT_LINKS = 4096
ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"  # what Flask's url_for leaves unquoted in an anchor


class PortalFlask(Flask):
    """Flask, whose `url_for` in a request remembers the relative links it built: every page writes the same
    dozen (the menu, the stylesheet, the language switcher), and Werkzeug builds each anew at a cost the
    lean recall lookup page felt (docs/performance.md). A link is the same for the same endpoint and values
    under the same script root, host and scheme, which are part of what it is remembered by, as long as no
    `url_defaults` hook adds values (the console's adds the tenant): those endpoints, external links, links
    with a scheme and values other than text and numbers are built by Flask every time, as are failures."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._links: dict[tuple, str] = {}
        self._plain_endpoints: dict[str, bool] = {}

    def url_for(self, /, endpoint: str, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values) -> str:
        ctx = _cv_request.get(None)
        if ctx is not None and ctx.url_adapter is None and not _external and _scheme is None:
            return self._without_host(ctx, endpoint, _anchor, _method, values)
        if ctx is None or _external or _scheme is not None or not self._plain(endpoint) \
                or not all(type(v) in (str, int) for v in values.values()):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        adapter = ctx.url_adapter
        key = (endpoint, _anchor, _method, adapter.script_name, adapter.server_name, adapter.subdomain,
               adapter.url_scheme, *values.items())
        link = self._links.get(key)
        if link is None:
            link = super().url_for(endpoint, _anchor=_anchor, _method=_method, **values)
            if len(self._links) >= KEPT_LINKS:
                self._links.clear()
            self._links[key] = link
        return link

    def _without_host(self, ctx, endpoint: str, anchor: str | None, method: str | None, values: dict) -> str:
        """A relative link for a request whose Host header Werkzeug refused (`a..b`, 300 characters): Flask
        then has no URL adapter and answers 400, and its error page still needs its links. They do not name a
        host, so any will do."""
        self.inject_url_defaults(endpoint, values)
        adapter = self.url_map.bind("localhost", script_name=ctx.request.script_root or "/",
                                    url_scheme=ctx.request.scheme)
        link = adapter.build(endpoint, values, method=method)
        return link if anchor is None else link + "#" + quote(anchor, safe=ANCHOR_SAFE)

    def _plain(self, endpoint: str) -> bool:
        """Not relative to the request's blueprint ('.page'), and no `url_defaults` hook of the app or of the
        endpoint's blueprints adds values to its links."""
        plain = self._plain_endpoints.get(endpoint)
        if plain is None:
            names = [None, *(endpoint.rpartition(".")[0].split(".") if "." in endpoint[1:] else [])]
            blueprints = [".".join(names[1:i + 1]) or None for i in range(len(names))]
            plain = endpoint[:1] != "." and not any(self.url_default_functions.get(n) for n in blueprints)
            self._plain_endpoints[endpoint] = plain
        return plain


def external_url(endpoint: str, **values) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


def portal_did() -> str:
    """did:web of the portal (its host, a port percent-encoded, then its path), from BASE_URL: the issuer of its
    credentials and the id of its DID document."""
    parts = urlsplit(current_app.config["BASE_URL"])
    host = quote(parts.netloc, safe="")
    path = ":".join(quote(p, safe="") for p in parts.path.strip("/").split("/") if p)
    return f"did:web:{host}" + (f":{path}" if path else "")


def local_path(target: str | None, fallback: str = "/") -> str:
    """`target` if it is a path on this site, else `fallback`: anything with a scheme or host, `//`, a
    backslash or a control character (browsers drop tabs and newlines, so `/\t/evil.example` is `//evil...`)."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
