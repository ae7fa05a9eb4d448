"""The permission matrix: for every URL rule of the portal, the answer each kind of visitor must get.

tests/security/test_permission_matrix.py walks the running app against it and fails while a rule is missing
here, so a new page cannot ship without someone deciding who sees it; tests/security/test_csrf.py posts
every form, as an actor marked CSRF below, without a token. The actors, the seeded world and the walk are in
tests/security/actors.py.
"""
from __future__ import annotations

from tests.security.actors import ACTORS, CSRF, ENROL, REDIRECT, ROLES, SIGNIN


def row(**outcomes) -> dict:
    assert set(outcomes) == set(ACTORS), set(ACTORS) ^ set(outcomes)
    return outcomes


def everyone(result=200) -> dict:
    return row(**{actor: result for actor in ACTORS})


def signed_in(result=200, **others) -> dict:
    """Any signed-in person (their own data only); anonymous visitors go to sign-in."""
    return row(**{**{actor: result for actor in ACTORS}, "anonymous": SIGNIN, **others})


def owner_only(result=200) -> dict:
    """A record of the owner's: everyone else, staff included, is told it does not exist."""
    return signed_in(404, owner=result)


#: Every staff role but the service partner, who opens only the service pages (accounts.tenancy.PARTNER_PAGES).
STAFF = tuple(role for role in ROLES if role != "service_partner")


def console(allowed=STAFF, result=200, **others) -> dict:
    """A page of tenant acme: its staff in `allowed` roles get `result`, its other staff 403, everyone else
    404 (another tenant's staff and the platform admin included), and a session without the second factor
    is sent to set it up."""
    outcomes = {"anonymous": SIGNIN, "owner": 404, "other_owner": 404, "other_tenant": 404, "platform": 404,
                "no_factor": ENROL, **{role: result if role in allowed else 403 for role in ROLES}}
    outcomes.update(others)
    return row(**outcomes)


def platform(result=200) -> dict:
    """Platform administration: 404 to everyone else, so nobody learns it is there."""
    return signed_in(404, platform=result)


ADMIN = ("admin",)
DESK = ("admin", "claims_agent")
RECALLS = ("admin", "recall_manager")
PARTNERS = ("admin", "service_partner")
API = everyone(401)  # bearer tokens only: a browser session is no credential there
# A staff member's document that does not exist in the seeded world (claim not approved, no proof, no
# photo, no mail file, run not finished): the role gate answers first, then the record 404s.
MISSING = 404
REMEDY_DESK = ("admin", "claims_agent", "recall_manager")
#: The regulator reports of a campaign: a page (recall desk) and three exports (every staff role) each.
REPORTS = ("cpsc-15b", "cpsc-fast-track", "nhtsa-573", "nhtsa-quarterly", "eu-business-gateway", "eu-safety-gate")
INSIGHT = "<any(stock, sales, reach, failures, forecast):name>"
PASSPORT = "/passport/01/<gtin>/21/<serial>"

MATRIX: dict[str, dict] = {
    # Public pages and feeds.
    "GET /": everyone(), "GET /lookup": everyone(), "GET /scan": everyone(), "GET /verify-offline": everyone(),
    "GET /sw.js": everyone(), "GET /manifest.webmanifest": everyone(), "GET /.well-known/jwks.json": everyone(),
    "GET /01/<path:rest>": everyone(307),  # a serial's code: the resolver's 307 to its default link, the verdict
    "GET /nfc/<gtin>/<path:serial>": everyone(), "GET /models/<int:model_id>/image": everyone(),
    "GET /recalls": everyone(), "GET /recalls.atom": everyone(), "GET /recalls/lookup": everyone(),
    "GET /report": everyone(), "POST /report": everyone(CSRF), "POST /scans/place": everyone(CSRF),
    "GET /api/v1/docs": everyone(), "GET /api/v1/openapi.json": everyone(),
    # Accounts.
    "GET /signup": everyone(), "POST /signup": everyone(CSRF),
    "GET /signin": everyone(), "POST /signin": everyone(CSRF),
    "GET /signin/code": signed_in(200, owner=ENROL, other_owner=ENROL, no_factor=ENROL),
    "POST /signin/code": everyone(CSRF),
    "POST /signout": everyone(CSRF),
    "GET /reset": everyone(), "POST /reset": everyone(CSRF),
    "GET /reset/<token>": everyone(), "POST /reset/<token>": everyone(CSRF),
    "GET /verify/<token>": everyone(400),  # the seeded token is forged
    "POST /verify/resend": signed_in(CSRF),
    "GET /account/sessions": signed_in(),
    "POST /account/sessions/<int:session_id>/revoke": owner_only(CSRF),  # the seeded session is the owner's
    "POST /account/sessions/revoke-others": signed_in(CSRF),
    "GET /account/second-factor": signed_in(),
    "POST /account/second-factor": signed_in(CSRF),
    "POST /account/second-factor/unlock": signed_in(CSRF),
    "GET /account/second-factor/recovery-codes": signed_in(REDIRECT),  # shown once, after enrolment's redirect
    # Owners.
    "GET /my": signed_in(), "GET /my/register": signed_in(), "POST /my/register": signed_in(CSRF),
    "GET /my/dispute": signed_in(), "POST /my/dispute": signed_in(CSRF),
    "GET /my/account": signed_in(), "GET /my/account/export.zip": signed_in(),
    "POST /my/account/delete": signed_in(CSRF),
    "GET /transfer": signed_in(), "POST /transfer": signed_in(CSRF),
    "GET /my/units/<int:ownership_id>": owner_only(),
    "GET /my/units/<int:ownership_id>/proof": owner_only(MISSING),
    "GET /my/units/<int:ownership_id>/services/<int:service_id>/document": owner_only(),
    "GET /my/units/<int:ownership_id>/certificate.pdf": owner_only(),
    "GET /my/units/<int:ownership_id>/claims/new": owner_only(),
    "POST /my/units/<int:ownership_id>/claims/new": owner_only(CSRF),
    "POST /my/units/<int:ownership_id>/stolen": owner_only(CSRF),
    "POST /my/units/<int:ownership_id>/recovered": owner_only(CSRF),
    "POST /my/units/<int:ownership_id>/transfer": owner_only(CSRF),
    "GET /my/units/<int:ownership_id>/transfer": owner_only(REDIRECT),  # no code started in this browser: the unit
    "POST /my/units/<int:ownership_id>/transfer/cancel": owner_only(CSRF),
    "GET /my/recalls/<int:recall_unit_id>": owner_only(), "POST /my/recalls/<int:recall_unit_id>": owner_only(CSRF),
    "GET /my/claims": signed_in(),
    "GET /my/claims/<number>": owner_only(),
    "GET /my/claims/<number>/photos/<int:entry_id>": owner_only(),
    "GET /my/claims/<number>/rma.pdf": owner_only(MISSING),
    "POST /my/claims/<number>/answer": owner_only(CSRF),
    "POST /my/claims/<number>/messages": owner_only(CSRF),
    "POST /my/claims/<number>/photos": owner_only(CSRF),
    "POST /my/claims/<number>/withdraw": owner_only(CSRF),
    # Resale: the owner's proofs, and the proof's public link, status and credential (docs/resale.md).
    "POST /my/units/<int:ownership_id>/proofs": owner_only(CSRF),
    "GET /my/proofs/<int:proof_id>": owner_only(), "GET /my/proofs/<int:proof_id>/qr.png": owner_only(),
    "POST /my/proofs/<int:proof_id>/revoke": owner_only(CSRF), "POST /my/proofs/<int:proof_id>/offer": owner_only(CSRF),
    "GET /my/proofs/<int:proof_id>/offer": owner_only(REDIRECT),  # no code offered in this browser: the proof
    "GET /proof/<token>": everyone(), "GET /proof/<token>/status": everyone(),
    "GET /proof/<token>/credential": everyone(), "POST /proof/<token>/receive": signed_in(CSRF),
    # Platform administration.
    "GET /admin/tenants": platform(), "POST /admin/tenants": platform(CSRF),
    "POST /admin/second-factor/reset": platform(CSRF),
    # The console: staff of acme, by role.
    "GET /console/": signed_in(200, **{role: REDIRECT for role in ROLES}, other_tenant=REDIRECT, no_factor=ENROL),
    "GET /console/<tenant>/": console(service_partner=REDIRECT),  # a partner is sent to the service pages
    "GET /console/<tenant>/models": console(), "POST /console/<tenant>/models": console(ADMIN, CSRF),
    "GET /console/<tenant>/models/<int:model_id>": console(),
    "POST /console/<tenant>/models/<int:model_id>/image": console(ADMIN, CSRF),
    "GET /console/<tenant>/models/<int:model_id>/warranty": console(ADMIN),
    "POST /console/<tenant>/models/<int:model_id>/warranty": console(ADMIN, CSRF),
    "GET /console/<tenant>/units": console(),
    "GET /console/<tenant>/units/<int:unit_id>": console(),
    "GET /console/<tenant>/units/<int:unit_id>/proof": console(result=MISSING),
    "GET /console/<tenant>/units/<int:unit_id>/label.pdf": console(),
    "POST /console/<tenant>/units/<int:unit_id>/labels": console(ADMIN, CSRF),
    "POST /console/<tenant>/units/<int:unit_id>/extensions": console(ADMIN, CSRF),
    "GET /console/<tenant>/import": console(ADMIN), "POST /console/<tenant>/import": console(ADMIN, CSRF),
    "GET /console/<tenant>/imports/<int:job_id>": console(ADMIN),
    "GET /console/<tenant>/imports/<int:job_id>/errors.csv": console(ADMIN),
    "GET /console/<tenant>/claims": console(),
    "GET /console/<tenant>/returns": console(),
    "POST /console/<tenant>/returns": console(ADMIN, CSRF),
    "POST /console/<tenant>/returns/remove": console(ADMIN, CSRF),
    "GET /console/<tenant>/claims/<number>": console(),
    "GET /console/<tenant>/claims/<number>/photos/<int:entry_id>": console(),
    "GET /console/<tenant>/claims/<number>/rma.pdf": console(result=MISSING),
    "POST /console/<tenant>/claims/<number>/messages": console(DESK, CSRF),
    "POST /console/<tenant>/claims/<number>/move": console(DESK, CSRF),
    "GET /console/<tenant>/quality": console(), "GET /console/<tenant>/quality.csv": console(),
    "GET /console/<tenant>/recalls": console(),
    "GET /console/<tenant>/recalls/new": console(RECALLS), "POST /console/<tenant>/recalls/new": console(RECALLS, CSRF),
    "GET /console/<tenant>/recalls/<int:campaign_id>": console(),
    "GET /console/<tenant>/recalls/<int:campaign_id>/edit": console(RECALLS),
    "POST /console/<tenant>/recalls/<int:campaign_id>/edit": console(RECALLS, CSRF),
    "POST /console/<tenant>/recalls/<int:campaign_id>/<action>": console(RECALLS, CSRF),
    "POST /console/<tenant>/recalls/<int:campaign_id>/remedies": console(("admin", "claims_agent", "recall_manager"),
                                                                         CSRF),
    "GET /console/<tenant>/recalls/<int:campaign_id>/letters.pdf": console(result=REDIRECT),  # all owners have mail
    "GET /console/<tenant>/recalls/<int:campaign_id>/notices/<int:notification_id>.eml": console(result=MISSING),
    "GET /console/<tenant>/recalls/<int:campaign_id>/report.csv": console(),
    "GET /console/<tenant>/recalls/<int:campaign_id>/units.csv": console(),
    "GET /console/<tenant>/labels": console(ADMIN), "POST /console/<tenant>/labels": console(ADMIN, CSRF),
    "GET /console/<tenant>/labels/runs/<int:run_id>": console(ADMIN),
    "GET /console/<tenant>/labels/runs/<int:run_id>/pdf": console(ADMIN, MISSING),
    "GET /console/<tenant>/keys": console(ADMIN),
    "POST /console/<tenant>/keys/rotate": console(ADMIN, CSRF), "POST /console/<tenant>/keys/revoke": console(ADMIN, CSRF),
    "GET /console/<tenant>/alerts": console(), "GET /console/<tenant>/alerts/<int:alert_id>": console(),
    "POST /console/<tenant>/alerts/<int:alert_id>/decision": console(ADMIN, CSRF),
    "GET /console/<tenant>/reports": console(),
    "GET /console/<tenant>/reports/<int:report_id>/photo": console(result=MISSING),
    "GET /console/<tenant>/disputes": console(),
    "GET /console/<tenant>/team": console(), "POST /console/<tenant>/team": console(ADMIN, CSRF),
    "POST /console/<tenant>/team/<int:membership_id>/remove": console(ADMIN, CSRF),
    "POST /console/<tenant>/team/<int:membership_id>/reset-factor": console(ADMIN, CSRF),
    # A service partner issues and revokes their own tokens (service:write only); admins every token.
    "GET /console/<tenant>/tokens": console(PARTNERS), "POST /console/<tenant>/tokens": console(PARTNERS, CSRF),
    "POST /console/<tenant>/tokens/revoke": console(PARTNERS, CSRF),
    "GET /console/<tenant>/audit": console(ADMIN),
    # Service history: every role reads it, a service partner only their own entries; partners and admins record.
    "GET /console/<tenant>/services": console(ROLES), "POST /console/<tenant>/services": console(PARTNERS, CSRF),
    "GET /console/<tenant>/services/<int:service_id>/document": console(ROLES),
    # The integration API.
    "POST /api/v1/epcis/capture": API, "GET /api/v1/imports": API, "POST /api/v1/imports": API,
    "GET /api/v1/imports/<int:job_id>": API, "GET /api/v1/imports/<int:job_id>/errors": API,
    "GET /healthz": everyone(), "GET /readyz": everyone(503), "GET /metrics": everyone(),
    "GET /language/<code>": everyone(REDIRECT),
    "GET /api/v1/units": API, "POST /api/v1/units": API,
    "POST /api/v1/units/<gtin:gtin>/<serial:serial>/services": API,
    # The marketplace API: platform tokens of marketplaces (pvm_...), never a session (docs/resale.md).
    "GET /api/v1/marketplace/proofs/<token>": API, "GET /api/v1/marketplace/proofs/<token>/sale-check": API,
    "POST /api/v1/marketplace/credentials/verify": API, "POST /api/v1/marketplace/subscriptions": API,
    "POST /api/v1/marketplace/subscriptions/<int:subscription_id>/cancel": API,
    "GET /api/v1/units/<gtin:gtin>/<serial:serial>": API,
    "POST /api/v1/units/<gtin:gtin>/<serial:serial>/components": API,
    "GET /api/v1/coverage/<gtin:gtin>/<serial:serial>": API,
    "GET /api/v1/recalls/<gtin:gtin>/<serial:serial>": everyone(),  # public recall status, as on /recalls/lookup
    "GET /api/v1/campaigns": API, "GET /api/v1/claims": API, "GET /api/v1/claims/<number>": API,
    "POST /api/v1/claims/<number>/transitions": API, "GET /api/v1/return-addresses": API,
    "PUT /api/v1/return-addresses/<country>": API, "POST /api/v1/return-addresses/<country>/remove": API, "POST /api/v1/sales": API, "POST /api/v1/remedies": API,
    # The resolver (docs/resolver.md): public Digital Links, their description file and the pages they lead to.
    "GET /<compressed:segment>": everyone(307), "GET /.well-known/gs1resolver": everyone(),
    "GET /verdict/01/<path:rest>": everyone(), "GET /product/01/<path:rest>": everyone(),
    "GET /recall-status/01/<path:rest>": everyone(REDIRECT),  # a page asked for: the product page's recall part
    "GET /my/certificate/01/<path:rest>": owner_only(REDIRECT),  # to the owner's certificate of that unit
    "GET /console/<tenant>/links": console(ADMIN), "POST /console/<tenant>/links": console(ADMIN, CSRF),
    "GET /console/<tenant>/links/<int:link_id>": console(ADMIN),
    "POST /console/<tenant>/links/<int:link_id>": console(ADMIN, CSRF),
    "POST /console/<tenant>/links/<int:link_id>/retire": console(ADMIN, CSRF),
    "POST /console/<tenant>/links/import": console(ADMIN, CSRF),
    "GET /api/v1/links": API, "POST /api/v1/links": API, "PUT /api/v1/links/<int:link_id>": API,
    "POST /api/v1/links/<int:link_id>/retire": API,
    # EPCIS 2.0 REST binding: bearer tokens only, like the integration API.
    "POST /epcis/capture": API, "GET /epcis/capture": API, "GET /epcis/capture/<capture_id>": API,
    "GET /epcis/events": API, "GET /epcis/epcs/<path:epc>/events": API,
    # Recalls: the public notice, its poster and pictures, safety-only registration, the owner's notice by
    # campaign (from the e-mail), and the recall desk's closing, reopening, bookings and regulator reports.
    "GET /recalls/<maker>/<number>": everyone(), "GET /recalls/<maker>/<number>/poster.pdf": everyone(),
    "GET /recalls/<maker>/<number>/<any(product, identifiers):which>.img": everyone(),
    "GET /recalls/safety-registration": everyone(), "POST /recalls/safety-registration": everyone(CSRF),
    "GET /recalls/safety-registration/erase/<token>": everyone(),
    "POST /recalls/safety-registration/erase/<token>": everyone(CSRF),
    "GET /my/recalls/campaign/<int:campaign_id>": owner_only(REDIRECT),  # to the owner's notice of her unit
    "POST /console/<tenant>/recalls/identifier-case": console(ADMIN, CSRF),
    "GET /console/<tenant>/recalls/<int:campaign_id>/close": console(RECALLS),
    "POST /console/<tenant>/recalls/<int:campaign_id>/close": console(RECALLS, CSRF),
    "GET /console/<tenant>/recalls/<int:campaign_id>/reopen": console(RECALLS, MISSING),  # the campaign is open
    "POST /console/<tenant>/recalls/<int:campaign_id>/reopen": console(RECALLS, CSRF),
    "POST /console/<tenant>/recalls/<int:campaign_id>/schedule": console(REMEDY_DESK, CSRF),
    "GET /console/<tenant>/recalls/<int:campaign_id>/reports": console(),
    **{f"GET /console/<tenant>/recalls/<int:campaign_id>/reports/{slug}": console(RECALLS) for slug in REPORTS},
    **{f"POST /console/<tenant>/recalls/<int:campaign_id>/reports/{slug}": console(RECALLS, CSRF) for slug in REPORTS},
    **{f"GET /console/<tenant>/recalls/<int:campaign_id>/reports/{slug}.{fmt}": console()
       for slug in REPORTS for fmt in ("pdf", "csv", "json")},
    # Passports: public pages at every tier (what each reader sees is the serializer's business, tests/passport),
    # the portal's did:web document, the tenant's admin pages, platform-wide reading rights, the API.
    f"GET {PASSPORT}": everyone(), f"GET {PASSPORT}/<aspect>.json": everyone(), f"GET {PASSPORT}/pdf": everyone(),
    f"GET {PASSPORT}/credential": everyone(), "GET /.well-known/did.json": everyone(),
    "GET /console/<tenant>/passports": console(ADMIN), "GET /console/<tenant>/passports/<int:model_id>": console(ADMIN),
    "POST /console/<tenant>/passports/<int:model_id>": console(ADMIN, CSRF),
    "POST /console/<tenant>/passports/<int:model_id>/kind": console(ADMIN, CSRF),
    "POST /console/<tenant>/passports/import": console(ADMIN, CSRF),
    "POST /console/<tenant>/passports/access": console(ADMIN, CSRF),
    "POST /console/<tenant>/passports/access/revoke": console(ADMIN, CSRF),
    "POST /console/<tenant>/passports/lifecycle": console(ADMIN, CSRF),
    "GET /console/<tenant>/passports/registry.csv": console(ADMIN),
    "POST /console/<tenant>/passports/backup.json": console(ADMIN, CSRF),  # a signed copy made per request
    "GET /admin/passport-access": platform(), "POST /admin/passport-access": platform(CSRF),
    "POST /admin/passport-access/<int:grant_id>/revoke": platform(CSRF),
    "GET /api/v1/passports/<gtin:gtin>/<serial:serial>": API,
    "POST /api/v1/passports/<gtin:gtin>/<serial:serial>/dynamic": API,
    # Insights: every staff role reads them (portal/insights/console.py).
    "GET /console/<tenant>/insights/": console(), f"GET /console/<tenant>/insights/{INSIGHT}": console(),
    f"GET /console/<tenant>/insights/{INSIGHT}.csv": console(),
    # NFC tags on units already made: tenant admins in the console, units:write tokens in the API.
    "POST /console/<tenant>/units/<int:unit_id>/nfc-tag": console(ADMIN, CSRF),
    "POST /console/<tenant>/units/<int:unit_id>/nfc-tag/retire": console(ADMIN, CSRF),
    "POST /api/v1/units/<gtin:gtin>/<serial:serial>/nfc-tag": API,
    "PUT /api/v1/units/<gtin:gtin>/<serial:serial>/nfc-tag": API,
    "DELETE /api/v1/units/<gtin:gtin>/<serial:serial>/nfc-tag": API,
}
