"""The sentences the scanner and verdict scripts show, translated here and handed to them as JSON.

A page embeds `<script type="application/json" id="js-text">` (data, not code: the CSP allows it); the
scripts keep the English as their fallback, so a page without the block still reads correctly.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

JS_TEXT = {
    "verify.unsupported": _l("This browser cannot check Ed25519 signatures itself; the portal checked it."),
    "verify.unknown_key": _l("The signing key is not published, so this phone could not check the signature."),
    "verify.mismatch": _l("Signature checked on this phone: it does NOT match."),
    "verify.revoked": _l("Signature checked on this phone: it matches, but the key was revoked."),
    "verify.match": _l("Signature checked on this phone: it matches the manufacturer's published key."),
    "verify.no_keys": _l("This phone could not fetch the manufacturer's keys to check the signature itself."),
    "verify.place_added": _l("Thank you: your approximate location was added to this scan."),
    "verify.place_refused": _l("Location was not shared."),
    "scan.found": _l("Product code found. Opening its check…"),
    "scan.not_product": _l("This QR code is not a product code (it says “%(text)s”)."),
    "scan.not_product_photo": _l("Choose a photo of the code on the product or its label."),
    "scan.not_product_live": _l("Keep the product's code in view."),
    "scan.refused": _l("Camera access was refused. To scan, allow the camera for this site in your browser's "
                       "settings and press Start camera again, or take a photo of the code below."),
    "scan.no_camera": _l("No camera was found on this device. Take or choose a photo of the code below, or type "
                         "the numbers instead."),
    "scan.busy": _l("The camera is busy or could not start (another app may be using it). Close that app and "
                    "press Start camera again, or take a photo of the code below."),
    "scan.failed": _l("The camera could not start. Take or choose a photo of the code below, or type the numbers "
                      "instead."),
    "scan.no_support": _l("This browser cannot use the camera on this page. Take or choose a photo of the code "
                          "below, or type the numbers instead."),
    "scan.starting": _l("Starting the camera…"),
    "scan.on": _l("Camera on. Hold the code inside the frame."),
    "scan.no_reader": _l("The code reader could not be loaded. Check your connection and try again, or type the "
                         "numbers instead."),
    "scan.off": _l("Camera off."),
    "scan.paused": _l("Camera paused. Press Start camera to go on."),
    "scan.reading": _l("Reading the photo…"),
    "scan.unreadable_photo": _l("No QR code could be read in this photo. Take it again closer, sharp and straight "
                                "on, or type the numbers instead."),
    "scan.not_a_picture": _l("This file could not be read as a picture. Choose a photo (JPEG or PNG) of the code."),
}


def js_text(*prefixes: str) -> dict[str, str]:
    """The translated sentences whose keys start with one of `prefixes`, for one page's scripts."""
    return {key: str(text) for key, text in JS_TEXT.items() if key.startswith(prefixes)}
