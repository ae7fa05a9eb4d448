"""A refused form, carried to the page after the redirect (post-redirect-get, issue 17).

A form the domain or its own checks refuse is not re-rendered from the POST: the values as typed, the
tokens of its staged files (`core.staging`) and the refusal are kept in the session, and the POST answers
303 to the form's GET, which shows them. Back and reload then never offer to send the POST again, and no
personal data goes into the address.

The page that shows the refusal answers with the refusal's status (a 4xx: the house rule that bad input gets
a clear 4xx holds for the page the person sees); a reload answers 200. What a reload shows: the refusal
reported one attempt, and a reload tries nothing, so the message and the
fields' errors are shown once; the values typed and the files staged are the person's work in progress, so
they stay on the form (as a browser keeps typed fields on reload) until the form is accepted, or for as long
as a staged file lives (`staging.LIFETIME`). A draft belongs to the account that made it: another account
signed in on the same browser never sees it. A form filled in before any account is signed in (sign-in
itself) keeps its draft with no account (`user_id` None): it belongs to the browser's session only.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import current_app, redirect, render_template, session
from werkzeug.datastructures import MultiDict
from wtforms.fields import FileField, PasswordField

from portal.core.staging import LIFETIME

_PREFIX = "draft:"


@dataclass
class Draft:
    """What a refused submit left for its form: `values` as typed (for `formdata=`), staged file tokens,
    field errors and a page-level message (both empty after the first showing), and the page's own extras."""

    values: MultiDict
    tokens: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str | None = None
    #: The refusal's HTTP status for the page that shows it (200 once it has been shown).
    status: int = 200
    extra: dict = field(default_factory=dict)


#: The most the session cookie may weigh with a draft in it: browsers drop a cookie over 4,096 bytes (name,
#: value and attributes), and the rest of the session must survive. A draft that would not fit is not kept.
COOKIE_BUDGET = 3600


def keep(name: str, user_id: int | None, form, *, skip: tuple[str, ...] = (), tokens: list[str] | None = None,
         message: str | None = None, status: int = 200, scope: object = None, **extra) -> bool:
    """Keep `form`'s refused submit for its next GET: the raw values of its fields (not files, not the CSRF
    token, never a password nor a field named in `skip`: those are typed again), the errors of all its fields,
    `message` and `extra` (small, JSON-able: the session is a cookie).
    False when it would not fit the cookie (a long description in a script that compresses badly): the caller
    then answers from the POST as before, with the refusal's status, so nothing typed is lost."""
    values, errors = {}, {}
    for f in form:
        if f.type == "CSRFTokenField":
            continue
        # files are staged (their tokens travel instead); secrets (a password, `skip`) are typed again
        if not isinstance(f, FileField | PasswordField) and f.name not in skip:
            values[f.name] = [str(v) for v in (f.raw_data or [])]
        if f.errors:
            errors[f.name] = [str(e) for e in f.errors]
    draft = {"u": user_id, "s": scope, "at": int(time.time()), "v": values, "t": list(tokens or []),
             "e": errors, "m": message, "c": status, "x": extra}
    signer = current_app.session_interface.get_signing_serializer(current_app)
    if signer is None or len(signer.dumps({**session, _PREFIX + name: draft})) > COOKIE_BUDGET:
        drop(name)
        return False
    session[_PREFIX + name] = draft
    return True


def take(name: str, user_id: int | None, *, scope: object = None) -> Draft | None:
    """The draft `user_id` left for this form (and `scope`, e.g. the unit), or None. Its refusal is handed
    out once: the session keeps the values and tokens only."""
    kept = session.get(_PREFIX + name)
    if not isinstance(kept, dict) or kept.get("u") != user_id or kept.get("s") != scope:
        return None
    if time.time() - float(kept.get("at") or 0) > LIFETIME.total_seconds():
        drop(name)
        return None
    values = MultiDict([(k, v) for k, vs in (kept.get("v") or {}).items() for v in vs])
    draft = Draft(values=values, tokens=[str(t) for t in kept.get("t") or []], errors=kept.get("e") or {},
                  message=kept.get("m"), status=int(kept.get("c") or 200), extra=kept.get("x") or {})
    if draft.errors or draft.message or draft.extra or draft.status != 200:
        session[_PREFIX + name] = {**kept, "e": {}, "m": None, "c": 200, "x": {}}
    return draft


def show_errors(form, draft: Draft) -> None:
    """Put the draft's field errors back on `form`'s fields."""
    for name, messages in draft.errors.items():
        target = getattr(form, name, None)
        if target is not None:
            target.errors = list(target.errors or []) + list(messages)


def form_again(name: str, user_id: int | None, form_class, *, scope: object = None):
    """A form for its page's GET: filled from the draft a refused submit left (its errors shown once), else empty;
    and the status the page answers with (the refusal's, once)."""
    draft = take(name, user_id, scope=scope)
    form = form_class(formdata=draft.values if draft else None)
    if draft is None:
        return form, 200
    show_errors(form, draft)
    return form, draft.status


def again(name: str, user_id: int | None, form, template: str, to: str, *, status: int, scope: object = None):
    """A refused submit: 303 to its page `to` with the draft kept (post-redirect-get), or, when the draft would
    not fit the session cookie, the page `template` answered from the POST with the refusal's status."""
    if keep(name, user_id, form, status=status, scope=scope):
        return redirect(to, 303)
    return render_template(template, form=form), status


def drop(name: str) -> None:
    """The form was accepted (or replaced): its draft goes."""
    session.pop(_PREFIX + name, None)
