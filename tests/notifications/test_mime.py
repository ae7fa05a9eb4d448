"""The message composed in one pass (notifications.mime) reads back as the same message as the EmailMessage
the outbox built before (services.build_message): headers, parts and their text, whatever the text holds; and
what it does not write plainly goes the EmailMessage way."""
from __future__ import annotations

import email
from email import policy
from email.utils import formatdate

import pytest

from portal.core.db import utcnow
from portal.notifications.mime import compose
from portal.notifications.models import Notification
from portal.notifications.services import build_message

CASES = {
    "ascii": ("Reset your password", "Hello,\nfollow the link.\n", ""),
    "two parts": ("IMPORTANT SAFETY RECALL: Brake cable may fray", "Dear owner,\n\n  - Bike, serial S-1\n",
                  "<p>Dear owner,</p><ul><li>Bike</li></ul>"),
    "accents and a long subject": ("RAPPEL DE SÉCURITÉ IMPORTANT : Le câble de frein peut s'effilocher, "
                                   "rapportez le vélo à votre revendeur " * 2,
                                   "Sehr geehrte Kundin,\nSicherheitsrückruf für Ihr Produkt.\n", "<p>Größe ß</p>"),
    "a long ascii subject": (("Your warranty claim 12345 for the product Bench Bike serial S000000001 was "
                             "approved by the manufacturer"), "Text", ""),
    "awkward text": ("Subject", ".\nFrom the start\n" + "x" * 2000 + "\r\nend\rline\n\n", "<p>" + "é" * 3000),
    "empty text": ("Subject", "", "<p>only html</p>"),
}


def read(data: bytes):
    return email.message_from_bytes(data, policy=policy.default)


def parts(message) -> dict[str, str]:
    found = {}
    for kind in ("plain", "html"):
        part = message.get_body((kind,))
        if part is not None:
            found[kind] = part.get_content().replace("\r\n", "\n").replace("\r", "\n")
    return found


@pytest.mark.parametrize("case", CASES)
def test_the_composed_message_reads_back_as_the_email_message(app, case):
    subject, text, html = CASES[case]
    with app.app_context():
        note = Notification(id=7, dedupe_key="k", recipient="ann@example.test", template="t", subject=subject,
                            body_text=text, body_html=html, created_at=utcnow())
        before = read(bytes(build_message(note, subject, text, html)))
        composed = compose(sender=app.config["MAIL_FROM"], recipient=note.recipient, subject=subject,
                           message_id=note.message_id, date=formatdate(note.created_at.timestamp()), text=text,
                           html=html)
    assert composed is not None and all(len(line) <= 998 for line in composed.split(b"\r\n"))
    after = read(composed)
    for header in ("From", "To", "Subject", "Message-ID", "Date"):
        assert str(after[header]) == str(before[header]), header
    assert after.get_content_type() == before.get_content_type()
    assert parts(after) == parts(before)
    assert b"\n" not in composed.replace(b"\r\n", b"")


@pytest.mark.parametrize("field,value", [("subject", "Two\nlines"), ("subject", "Bcc: x\r\nSubject: y"),
                                         ("recipient", "zoë@example.test"), ("recipient", "a@b.test\nBcc: c@d.test"),
                                         ("sender", "Provenance\r\n <x@y.test>")])
def test_what_is_not_plain_goes_the_email_message_way(field, value):
    fields = {"sender": "portal@example.test", "recipient": "ann@example.test", "subject": "Subject",
              "message_id": "<n-1@provenance>", "date": "Mon, 07 Dec 2026 10:00:00 -0000", "text": "Text"}
    assert compose(**{**fields, field: value}) is None
