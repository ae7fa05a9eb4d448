"""Simple drawn product pictures for the demo catalog (no image files in the repository)."""
from __future__ import annotations

import io

from PIL import Image, ImageDraw


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (480, 320), (246, 247, 249))
    return image, ImageDraw.Draw(image)


def watch(dial=(250, 245, 235), strap=(90, 60, 40)) -> bytes:
    image, draw = _canvas()
    draw.rectangle((205, 10, 275, 310), fill=strap)
    draw.ellipse((150, 70, 330, 250), fill=(190, 190, 200), outline=(120, 120, 130), width=6)
    draw.ellipse((166, 86, 314, 234), fill=dial)
    for angle_x, angle_y in ((240, 100), (300, 160), (240, 220), (180, 160)):
        draw.ellipse((angle_x - 4, angle_y - 4, angle_x + 4, angle_y + 4), fill=(40, 40, 50))
    draw.line((240, 160, 240, 108), fill=(30, 30, 40), width=5)
    draw.line((240, 160, 282, 176), fill=(30, 30, 40), width=4)
    return _png(image)


def bike(frame=(31, 79, 209)) -> bytes:
    image, draw = _canvas()
    for cx in (130, 350):
        draw.ellipse((cx - 80, 150, cx + 80, 310), outline=(40, 40, 50), width=10)
    draw.line((130, 230, 220, 230, 300, 130, 190, 130, 130, 230), fill=frame, width=12, joint="curve")
    draw.line((220, 230, 190, 110), fill=frame, width=10)
    draw.line((300, 130, 350, 230), fill=frame, width=10)
    draw.rectangle((200, 140, 280, 170), fill=(60, 60, 70))  # the battery pack
    draw.line((170, 105, 215, 105), fill=(40, 40, 50), width=10)
    draw.line((290, 100, 320, 90), fill=(40, 40, 50), width=8)
    return _png(image)


def battery() -> bytes:
    image, draw = _canvas()
    draw.rounded_rectangle((90, 110, 390, 210), radius=18, fill=(60, 60, 70))
    draw.rectangle((390, 140, 410, 180), fill=(60, 60, 70))
    for i in range(4):
        draw.rectangle((115 + i * 65, 130, 165 + i * 65, 190), fill=(111, 212, 154))
    return _png(image)


def rating_label() -> bytes:
    """The underside of a pack: its rating label, where the lot and serial are printed (for a recall notice)."""
    image, draw = _canvas()
    draw.rounded_rectangle((60, 60, 420, 260), radius=18, fill=(60, 60, 70))
    draw.rectangle((120, 110, 360, 210), fill=(245, 245, 245), outline=(200, 40, 40), width=4)
    for i in range(4):
        draw.rectangle((140, 125 + i * 20, 340 - i * 30, 135 + i * 20), fill=(30, 30, 30))
    return _png(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
