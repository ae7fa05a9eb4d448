"""The baseline for bench/verify.py: a bare Flask endpoint, served by gunicorn exactly like the portal.

    .venv/bin/gunicorn -w 2 --pythonpath bench verify_hello:app
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
