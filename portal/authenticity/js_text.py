"""The sentences the scanner and verdict scripts show, translated here and handed to them as JSON.

A page embeds `<script type="application/json" id="js-text">` (data, not code: the CSP allows it); the
scripts keep the English as their fallback, so a page without the block still reads correctly.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

JS_TEXT = {
    "verify.unsupported": _l("This browser cannot check Ed25519 signatures itself; the portal checked it."),
    "verify.unknown_key": _l("The signing key is not published, so this device could not check the signature."),
    "verify.mismatch": _l("Signature checked on this device: it does NOT match."),
    "verify.revoked": _l("Signature checked on this device: it matches, but the key was revoked."),
    "verify.match": _l("Signature checked on this device: it matches the manufacturer's published key."),
    "verify.no_keys": _l("This device could not fetch the manufacturer's keys to check the signature itself."),
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
    "scan.register_mode": _l("Scan the code on the product you want to register: its numbers fill in the form."),
    "scan.not_a_picture": _l("This file could not be read as a picture. Choose a photo (JPEG or PNG) of the code."),
    "offline.key_twice": _l("Key %(key)s appears twice in the code."),
    "offline.bad_gtin": _l("Its GTIN (%(gtin)s) is not a valid GTIN."),
    "offline.no_serial": _l("It names a product, not one unit: it has no serial number."),
    "offline.damaged_serial": _l("Its serial number is damaged."),
    "offline.bad_serial": _l("Its serial number has characters a GS1 serial cannot have."),
    "offline.label": _l("No. %(number)s, key %(kid)s"),
    "offline.no_signature": _l("No signature"),
    "offline.saved_on": _l("Checked with the keys this device saved on %(date)s."),
    "offline.cannot_title": _l("Cannot check offline"),
    "offline.not_genuine_title": _l("Not genuine"),
    "offline.unsigned": _l("This code carries no signature, so this device cannot check it."),
    "offline.damaged_fields": _l("The code's signature fields are damaged or incomplete."),
    "offline.no_keys": _l("This phone has not saved the manufacturers' keys yet, so it could not check the "
                          "signature. Keys are saved when you open a product's check with network."),
    "offline.no_key_copy": _l("This phone has no saved copy of key %(kid)s, so it could not check the signature."),
    "offline.key_of": _l("%(manufacturer)s's key %(kid)s"),
    "offline.key_of_unknown": _l("the manufacturer's key %(kid)s"),
    "offline.mismatch": _l("Signature checked on this device: it does NOT match %(key)s. The code was altered or "
                           "forged."),
    "offline.unsupported": _l("This browser cannot check Ed25519 signatures itself, so the signature could not be "
                              "checked without network. Try again with network, or update the browser."),
    "offline.no_key_copy_short": _l("This phone has no saved copy of key %(kid)s."),
    "offline.the_manufacturer": _l("the manufacturer"),
    "offline.revoked_reason": _l("Signature checked on this device: it matches %(key)s, but %(manufacturer)s revoked "
                                 "that key: %(reason)s"),
    "offline.revoked": _l("Signature checked on this device: it matches %(key)s, but %(manufacturer)s revoked that "
                          "key."),
    "offline.match_title": _l("Signature matches"),
    "offline.match": _l("Signature checked on this device: it matches %(key)s."),
    "offline.check_maker": _l("Check that %(manufacturer)s makes this product."),
    "offline.check_this_maker": _l("Check that this manufacturer makes this product."),
    "offline.no_path": _l("It has no /01/<GTIN> in its address."),
    "offline.no_status": _l("This check does not fetch the product's status (stolen, recalled, registered): open "
                            "the code's address with network for that."),
    "offline.paste_title": _l("Check a code offline"),
    "offline.paste": _l("Paste the web address of a product's code below: this device checks its signature with "
                        "the keys it saved."),
    "offline.invalid_title": _l("This is not a valid product code"),
    "offline.unreadable": _l("The code could not be read."),
    "offline.failed": _l("This phone could not check the signature."),
    "offline.online": _l("The network is back: try again for the full check, with the product's status (stolen, "
                         "recalled, registered)."),
}


def js_text(*prefixes: str) -> dict[str, str]:
    """The translated sentences whose keys start with one of `prefixes`, for one page's scripts."""
    return {key: str(text) for key, text in JS_TEXT.items() if key.startswith(prefixes)}
