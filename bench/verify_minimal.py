"""The second baseline for bench/verify.py: the smallest honest verdict handler, as the issue describes it.

It checks the label's Ed25519 signature and looks the serial up in SQLite, nothing else (no scan recorded,
no status, no middleware). bench/verify.py serves it with gunicorn exactly like the portal, so the portal's
figure can be read against what signature checking and a lookup cost on this machine:

    VERIFY_DB=/path/verify.sqlite3 .venv/bin/gunicorn -w 2 --pythonpath bench verify_minimal:app
"""
import base64
import os
import sqlite3

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask, abort, jsonify, request

app = Flask(__name__)
_db = None
_keys: dict[str, Ed25519PublicKey] = {}


def db() -> sqlite3.Connection:
    global _db
    if _db is None:
        _db = sqlite3.connect(os.environ["VERIFY_DB"], check_same_thread=False)
        _keys.update((kid, Ed25519PublicKey.from_public_bytes(raw))
                     for kid, raw in _db.execute("SELECT kid, public_key FROM signing_keys"))
    return _db


@app.get("/")
def ready() -> str:
    return "ready"


@app.get("/01/<gtin>/21/<serial>")
def verdict(gtin: str, serial: str):
    conn, args = db(), request.args
    key = _keys.get(args.get("k", ""))
    if key is None:
        abort(422)
    signature = base64.urlsafe_b64decode(args.get("s", "") + "==")
    key.verify(signature, f"01{gtin}21{serial}|{args.get('n')}|{args.get('k')}".encode())
    row = conn.execute("SELECT u.id, u.status FROM units u JOIN product_models m ON m.id = u.model_id "
                       "WHERE m.gtin = ? AND u.serial = ?", (gtin, serial)).fetchone()
    if row is None:
        abort(404)
    return jsonify({"verdict": "genuine", "unit": row[0], "status": row[1]})
