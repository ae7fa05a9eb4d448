"""Every template people read has its human text marked for translation: owner-facing, public, mail, documents,
the manufacturer's console and the platform's administration."""
from pathlib import Path

import pytest

from tests.i18n.marking import unmarked_strings

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: The API reference is for developers; the regulator's report PDF keeps the regulator's language (English).
NOT_TRANSLATED = ("api/", "recalls/console_regulator_report")
CHECKED = sorted(
    p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*")
    if p.is_file() and p.suffix in (".html", ".txt", ".atom")
    and not p.relative_to(TEMPLATES).as_posix().startswith(NOT_TRANSLATED)
)


def test_the_check_covers_every_area_people_read():
    areas = {name.split("/")[0] for name in CHECKED if "/" in name}
    assert {"public", "authenticity", "ownership", "warranty", "recalls", "accounts", "mail", "documents"} <= areas
    assert {"console", "insights", "passport", "resolver", "servicing", "resale"} <= areas
    assert {"base.html", "error.html", "macros.html", "console/tokens.html", "recalls/console_dashboard.html"} <= set(CHECKED)


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
    ('<button type="submit" name="state" value="available">Mark available</button>', ["Mark available"]),
    ('<a href="n.eml">.eml</a> <input placeholder="FR"> <p>FR only</p>', ["only"]),
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
