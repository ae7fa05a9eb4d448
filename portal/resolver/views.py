"""The resolver at every Digital Link path, its description file, and the public pages its links lead to."""
from __future__ import annotations

from functools import lru_cache

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user, login_required
from werkzeug.routing import BaseConverter
from werkzeug.wsgi import get_current_url

from portal.core.dl_compression import SEGMENT
from portal.core.gs1 import GS1Error, parse_digital_link
from portal.core.reply import Problem, Reply, raw_uri
from portal.extensions import db, limiter
from portal.resolver import pages
from portal.resolver.linkset import CORS, VARY
from portal.resolver.resolve import Ask, resolve
from portal.resolver.vocabulary import GS1_VOC

bp = Blueprint("resolver", __name__)
PREFLIGHT = (*CORS, ("Access-Control-Allow-Headers", "Accept, Accept-Language, Content-Type, X-Request-ID"),
             ("Access-Control-Max-Age", "86400"), VARY)


class CompressedConverter(BaseConverter):
    """One path segment that may be a compressed Digital Link (docs/resolver.md, "Compressed codes")."""
    regex = SEGMENT.pattern


def checked_prefixes(given) -> tuple[str, ...]:
    """RESOLVER_PATH_PREFIXES as "/stem" paths; anything else stops the start (a typo would lose codes)."""
    out = []
    for prefix in given or ():
        prefix = "/" + str(prefix).strip("/")
        if prefix == "/" or "01" in prefix.split("/") or not all(c.isalnum() or c in "/-_." for c in prefix):
            raise ValueError(f"RESOLVER_PATH_PREFIXES: {prefix!r} is not a path prefix such as '/acme'")
        out.append(prefix)
    return tuple(out)


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


def root_of(environ: dict) -> str:
    """scheme://host[/script root] of a request: the anchor of its links. Kept for the few hosts a portal
    answers at (werkzeug builds it with an IRI conversion that costs as much as a verdict's lookup)."""
    return _root(environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST"), environ.get("SERVER_NAME"),
                 environ.get("SERVER_PORT"), environ.get("SCRIPT_NAME", ""))


@lru_cache(maxsize=64)  # a flood of made-up Host headers only evicts: each answer is still built as before
def _root(scheme: str, host: str | None, server_name: str | None, server_port: str | None, script: str) -> str:
    environ = {"wsgi.url_scheme": scheme, "SCRIPT_NAME": script}
    for key, value in (("HTTP_HOST", host), ("SERVER_NAME", server_name), ("SERVER_PORT", server_port)):
        if value is not None:
            environ[key] = value
    return get_current_url(environ, root_only=True).rstrip("/")


def send(reply: Reply) -> Response:
    """The Reply as the lean path writes it: no header added (a redirect has no body, so no Content-Type)."""
    response = Response(reply.body, status=reply.status, headers=list(reply.headers))
    if reply.header("Content-Type") is None:
        del response.headers["Content-Type"]
    return response


def render_problem(problem: Problem) -> Response:
    response = Response(render_template("authenticity/malformed.html", title=problem.title, detail=problem.detail),
                        status=problem.status, headers=list(problem.headers))
    return response


def preflight() -> Response:
    return Response(status=204, headers=list(PREFLIGHT))


@bp.route("/01/<path:rest>", methods=["GET", "OPTIONS"], provide_automatic_options=False)
@bp.route("/<compressed:segment>", methods=["GET", "OPTIONS"], provide_automatic_options=False)
@limiter.limit(_public_limit, exempt_when=lambda: request.method == "OPTIONS")
def resolve_code(rest: str = "", segment: str = ""):
    """Every Digital Link the portal serves: redirect to a link, a linkset, or (JSON, a serial) the verdict."""
    if request.method == "OPTIONS":
        return preflight()
    ask = Ask(raw_uri(request.environ), root_of(request.environ), request.headers.get("Accept"), str(get_locale()),
              request.remote_addr or "", request.user_agent.string, current_user)
    answered = resolve(ask)
    db.session.commit()  # a JSON verdict recorded its scan
    if isinstance(answered, Problem):
        if segment and answered.status == 400:
            abort(404)  # a one-segment path that is no compressed code is just a page that does not exist
        return render_problem(answered)
    return send(answered)


@bp.route("/.well-known/gs1resolver", methods=["GET", "OPTIONS"], provide_automatic_options=False)
def description_file():
    """The resolver description file (GS1 Resolver standard): who answers, for which keys and link types."""
    if request.method == "OPTIONS":
        return preflight()
    root = root_of(request.environ)
    response = jsonify({
        "name": current_app.config.get("RESOLVER_NAME") or "Provenance",
        "resolverRoot": root,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": GS1_VOC, "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "linkTypeDefaultCanBeAll": False,
        "supportedContextValuesEnumerated": sorted(pages.context_values()),
        "supportsLanguageVariants": True,
        "jsonLdContextLocation": "https://ref.gs1.org/standards/resolver/linkset-context",
        "contact": {"fn": current_app.config.get("RESOLVER_CONTACT") or "Provenance"},
    })
    for name, value in CORS:
        response.headers[name] = value
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/product/01/<path:rest>")
@limiter.limit(_public_limit)
def product_page(rest: str):
    """The public page behind a GTIN, CPV or lot code: the model, its warranty, its recall status."""
    page = _page_or_404(rest)
    return render_template("resolver/product.html", p=page)


@bp.get("/recall-status/01/<path:rest>")
@limiter.limit(_public_limit)
def recall_status(rest: str):
    """Open recalls for a model or one of its lots, as a page or (Accept or ?format=json) as JSON."""
    page = _page_or_404(rest)
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        response = jsonify(pages.recall_json(page))
        for name, value in CORS:
            response.headers[name] = value
        return response
    return redirect(url_for(".product_page", rest=rest) + "#recall", 303)


@bp.get("/my/certificate/01/<path:rest>")
@login_required
def certificate(rest: str):
    """The owner's certificate for the unit a code names; nobody else's."""
    try:
        link = parse_digital_link("/01/" + rest)
    except GS1Error:
        abort(404)
    ownership_id = pages.current_ownership_of(current_user, link)
    if ownership_id is None:
        abort(404)
    return redirect(url_for("warranty.certificate", ownership_id=ownership_id), 303)


def _page_or_404(rest: str):
    try:
        link = parse_digital_link("/01/" + rest)
    except GS1Error:
        abort(404)
    page = pages.product_page(link)
    if page is None:
        abort(404)
    return page
