"""Idempotency-Key on POST: a retried request gets the first answer again, and its work is not redone.

The remembered answer is written in the same transaction as the work it describes, under a unique
(token, key) constraint: two copies of a request racing each other both do the work, one commit wins,
the other rolls back and replays the winner's answer. Only successful answers are remembered: a refused
request changed nothing, so running it again is harmless. Keys are kept for a day.
"""
from __future__ import annotations

import json
import re
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from portal.api.models import ApiToken, IdempotentRequest
from portal.api.problems import TYPES, problem
from portal.core.db import utcnow
from portal.core.secrets import digest
from portal.extensions import db

HEADER = "Idempotency-Key"
KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII: what HTTP headers carry safely
KEEP_FOR = timedelta(hours=24)

#: OpenAPI description of the header, registered as the component parameter "IdempotencyKey".
PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "Any unique string (a UUID is fine), at most 255 visible ASCII characters. A retry with the "
                   "same key and body returns the first answer without doing the work again; the same key with "
                   "another body is refused (422). Keys are remembered for 24 hours per token.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]{1,255}$"},
}


def request_hash() -> str:
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):  # whatever it is, the raw bytes identify it
        body = raw
    return digest(f"{request.method} {request.path}\n".encode() + body)


def _replay(record: IdempotentRequest):
    response = current_app.response_class(record.response_body, status=record.status, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    if record.status in (201, 202):  # what was created or queued: its address, as the first answer gave it
        try:
            href = json.loads(record.response_body).get("href")
        except (ValueError, AttributeError):
            href = None
        if isinstance(href, str):
            response.headers["Location"] = href
    return response


def _find(token: ApiToken, key: str) -> IdempotentRequest | None:
    record = db.session.scalar(select(IdempotentRequest).where(IdempotentRequest.token_id == token.id,
                                                               IdempotentRequest.key == key))
    if record is not None and utcnow() - record.created_at > KEEP_FOR:
        db.session.delete(record)
        db.session.flush()
        return None
    return record


def _mismatch():
    return problem(422, TYPES["idempotency-key-reused"],
                   "This Idempotency-Key was used for a different request. Use a new key for a new request.",
                   errors=[{"location": "header", "field": HEADER, "detail": "used before with another body"}])


def run(token: ApiToken | None, view, args, kwargs):
    """Run a POST view once per (token, key) and commit its work with the remembered answer."""
    key = request.headers.get(HEADER)
    if key is None or token is None:
        response = view(*args, **kwargs)
        db.session.commit()
        return response
    if not KEY_RE.fullmatch(key):
        return problem(400, TYPES["idempotency-key-invalid"], "An Idempotency-Key is 1 to 255 visible ASCII characters.",
                       errors=[{"location": "header", "field": HEADER, "detail": "not 1 to 255 visible ASCII characters"}])
    digest = request_hash()
    earlier = _find(token, key)
    if earlier is not None:
        return _replay(earlier) if earlier.request_hash == digest else _mismatch()
    response = view(*args, **kwargs)
    if 200 <= response.status_code < 300:
        db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.token_id == token.id,
                                                           IdempotentRequest.created_at < utcnow() - KEEP_FOR))
        db.session.add(IdempotentRequest(token_id=token.id, key=key, request_hash=digest, status=response.status_code,
                                         response_body=response.get_data(as_text=True), created_at=utcnow()))
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()  # the same key, sent twice at once, won the race: answer what it answered
            earlier = _find(token, key)
            if earlier is None:
                return problem(409, TYPES["idempotency-key-in-use"], "A request with this Idempotency-Key is still "
                               "being processed. Retry in a moment.")
            return _replay(earlier) if earlier.request_hash == digest else _mismatch()
    db.session.commit()
    return response
