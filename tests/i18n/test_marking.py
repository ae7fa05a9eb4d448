"""Every owner-facing, public, mail and document template has its human text marked for translation."""
from pathlib import Path

import pytest

from tests.i18n.marking import unmarked_strings

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: The console (with its insights) and platform administration stay English for now; the API reference is for
#: developers.
NOT_TRANSLATED = ("console/", "api/", "warranty/console_", "recalls/console_", "resolver/console_", "passport/console",
                  "passport/admin", "insights/")
CHECKED = sorted(
    p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*")
    if p.is_file() and p.suffix in (".html", ".txt", ".atom")
    and not p.relative_to(TEMPLATES).as_posix().startswith(NOT_TRANSLATED)
)


def test_the_check_covers_every_owner_public_mail_and_document_area():
    areas = {name.split("/")[0] for name in CHECKED if "/" in name}
    assert {"public", "authenticity", "ownership", "warranty", "recalls", "accounts", "mail", "documents"} <= areas
    assert {"base.html", "error.html", "macros.html"} <= set(CHECKED)
    assert not any(name.startswith("console/") for name in CHECKED)


@pytest.mark.parametrize("name", CHECKED)
def test_template_has_no_unmarked_text(name):
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    assert unmarked_strings(source, html=not name.endswith(".txt")) == [], f"unmarked text in templates/{name}"


@pytest.mark.parametrize("source, expected", [
    ("<p>Register a product</p>", ["Register a product"]),
    ('<p>{{ _("Register a product") }}</p><p>Check it</p>', ["Check it"]),
    ('<input placeholder="Your name">', ['<input placeholder="Your name">']),
    ('<button aria-label="Close">×</button>', ['<button aria-label="Close">']),
    ('<img src="x.png" alt="Product photo">', ['<img alt="Product photo">']),
    ('<input type="submit" value="Send">', ['<input value="Send">']),
    ("<h1>{{ title }}</h1>\n<p>{% if x %}Sold{% endif %}</p>", ["Sold"]),
    ('<a><span aria-hidden="true">P</span> Provenance home</a>', ["home"]),
    ('<li{% if gone %} class="gone"{% endif %}>Withdrawn</li>', ["Withdrawn"]),
])
def test_the_check_finds_unmarked_text_in_nodes_and_read_attributes(source, expected):
    assert unmarked_strings(source) == expected


def test_the_check_leaves_marked_text_code_and_brand_names_alone():
    source = """<!doctype html><html lang="{{ current_language }}"><head><style>p { content: "x"; }</style>
      <script src="{{ url_for('static', filename='a.js') }}"></script></head>
      <body>{# a comment that says things #}<p class="eyebrow">Provenance</p><dt>GTIN</dt>
      <p>{{ _("Hello %(name)s", name=user.name) }} · {{ v.kid }}</p><input type="hidden" value="abc">
      <img alt="" src="x"><input placeholder="https://…/01/…?n=…"></body></html>"""
    assert unmarked_strings(source) == []


def test_the_check_reads_every_line_of_a_plain_text_mail():
    source = '{{ _("Hello,") }}\n\nyour claim {{ number }} moved.\n\n-- Provenance\n'
    assert unmarked_strings(source, html=False) == ["your claim moved."]
