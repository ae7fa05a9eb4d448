"""The axe check itself: it must catch what it is there to catch, or the pages passing it prove nothing."""
from tests.browser.a11y import violations


def test_axe_flags_an_unlabelled_field_and_an_image_without_text(phone):
    phone.set_content('<html lang="en"><title>t</title><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
                      '<input type="text"></main></html>')
    assert {v["id"] for v in violations(phone)} >= {"image-alt", "label"}


def test_axe_passes_the_same_page_once_labelled(phone):
    phone.set_content('<html lang="en"><title>t</title><main><img alt="A watch" '
                      'src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><label>Serial <input type="text"></label>'
                      '</main></html>')
    assert violations(phone) == []
