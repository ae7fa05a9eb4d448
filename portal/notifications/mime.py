"""An outbox message's bytes on the wire, composed directly.

`services.build_message` makes an `email.message.EmailMessage`; its header objects and content manager, and
the generator smtplib runs over it again, cost about two thirds of a worker's CPU per recall notice
(docs/performance.md). The common message (plain ASCII addresses and ids, a subject of one line, a text part
and perhaps an HTML part) is written here in one pass instead: RFC 5322 headers, the subject as RFC 2047
encoded words when it is not plain ASCII (`email.header.Header` folds it), each part in UTF-8 and base64 (RFC
2045; safe through any relay whatever the text holds), CRLF line ends, ready for `smtplib.SMTP.sendmail`.
Anything else (a header with a line break or a non-ASCII address, say) returns None and goes the
EmailMessage way, which refuses what cannot be sent as before. tests/notifications/test_mime.py reads both
back and finds the same message.
"""
from __future__ import annotations

import base64
import re
import secrets
from email.header import Header

CRLF = b"\r\n"
#: Header values written as they are: printable ASCII on one line (RFC 5322 2.2), not too long to fold.
_PLAIN = re.compile(r"[\x20-\x7e]{1,900}")


def compose(*, sender: str, recipient: str, subject: str, message_id: str, date: str, text: str,
            html: str = "") -> bytes | None:
    """The message as bytes, or None when it needs the general composer (services.build_message)."""
    if not all(_PLAIN.fullmatch(value or "") for value in (sender, recipient, message_id, date)):
        return None
    if "\r" in subject or "\n" in subject or len(subject) > 900:
        return None
    header_subject = subject if subject.isascii() and len(subject) <= 68 else \
        Header(subject, "utf-8" if not subject.isascii() else "us-ascii", header_name="Subject").encode(
            linesep="\r\n")
    head = [f"From: {sender}", f"To: {recipient}", f"Subject: {header_subject}", f"Message-ID: {message_id}",
            f"Date: {date}", "MIME-Version: 1.0"]
    if not html:
        return _join(head, _part_headers("plain"), _body(text))
    boundary = f"==============={secrets.token_hex(12)}=="
    out = [*(line.encode("ascii") for line in head),
           f'Content-Type: multipart/alternative; boundary="{boundary}"'.encode("ascii"), b""]
    for subtype, content in (("plain", text), ("html", html)):
        out += [f"--{boundary}".encode("ascii"), *(h.encode("ascii") for h in _part_headers(subtype)), b"",
                _body(content)]
    out.append(f"--{boundary}--".encode("ascii"))
    return CRLF.join(out) + CRLF


def _part_headers(subtype: str) -> list[str]:
    return [f'Content-Type: text/{subtype}; charset="utf-8"', "Content-Transfer-Encoding: base64"]


def _body(content: str) -> bytes:
    """`content` in its canonical form (CRLF line ends, RFC 2046 4.1.1), UTF-8, base64 in lines of 76."""
    canonical = "\r\n".join(content.splitlines()) + "\r\n"  # an empty text is one empty line, as EmailMessage has it
    return base64.encodebytes(canonical.encode("utf-8")).replace(b"\n", CRLF).rstrip(CRLF)


def _join(head: list[str], part: list[str], body: bytes) -> bytes:
    return CRLF.join([*(line.encode("ascii") for line in (*head, *part)), b"", body]) + CRLF
