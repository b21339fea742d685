"""Draw shopdesk's application icon: resources/icons/shopdesk.{png,ico,icns}.

A blue rounded square with a white phone and an amber wrench across its corner:
a phone repair counter. Run once after changing the drawing and commit the three
files; the build (PyInstaller: .ico on Windows, .icns on macOS) and the window
(the PNG) use the committed files, so neither the app nor the build needs Pillow.

    python scripts/make_icon.py            # writes resources/icons/
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = 1024
SUPERSAMPLE = 2  # drawn at twice the size, then scaled down: smooth edges
BLUE_TOP, BLUE_BOTTOM = (64, 132, 246), (31, 84, 196)
AMBER = (255, 181, 38)
WHITE = (255, 255, 255)
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def _background(s: int) -> Image.Image:
    gradient = Image.new("RGBA", (1, s))
    for y in range(s):
        t = y / (s - 1)
        rgb = (round(a + (b - a) * t) for a, b in zip(BLUE_TOP, BLUE_BOTTOM, strict=True))
        gradient.putpixel((0, y), (*rgb, 255))
    gradient = gradient.resize((s, s))
    mask = Image.new("L", (s, s), 0)
    margin = s * 0.06
    ImageDraw.Draw(mask).rounded_rectangle((margin, margin, s - margin, s - margin),
                                           radius=s * 0.2, fill=255)
    tile = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    tile.paste(gradient, (0, 0), mask)
    return tile


def _phone(s: int) -> Image.Image:
    layer = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    left, top, right, bottom = s * 0.30, s * 0.20, s * 0.64, s * 0.80
    draw.rounded_rectangle((left, top, right, bottom), radius=s * 0.06, fill=WHITE)
    # The screen, in the background's blue, and the speaker slot above it.
    draw.rounded_rectangle((left + s * 0.035, top + s * 0.085, right - s * 0.035,
                            bottom - s * 0.085), radius=s * 0.015, fill=(45, 104, 220, 255))
    mid = (left + right) / 2
    draw.rounded_rectangle((mid - s * 0.045, top + s * 0.038, mid + s * 0.045, top + s * 0.052),
                           radius=s * 0.007, fill=(45, 104, 220, 255))
    draw.ellipse((mid - s * 0.022, bottom - s * 0.065, mid + s * 0.022, bottom - s * 0.021),
                 fill=(45, 104, 220, 255))
    return layer


def _wrench(s: int) -> Image.Image:
    """A wrench drawn lying flat, then turned to cross the phone's lower right."""
    layer = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    cy = s * 0.5
    handle = s * 0.085
    draw.rounded_rectangle((s * 0.30, cy - handle / 2, s * 0.78, cy + handle / 2),
                           radius=handle / 2, fill=AMBER)
    head = s * 0.115
    hx = s * 0.25
    draw.ellipse((hx - head, cy - head, hx + head, cy + head), fill=AMBER)
    # The open jaw: a notch cut out of the head, facing away from the handle.
    jaw = s * 0.052
    draw.rectangle((hx - head - 2, cy - jaw / 2, hx, cy + jaw / 2), fill=(0, 0, 0, 0))
    draw.ellipse((hx - jaw * 0.75, cy - jaw * 0.75, hx + jaw * 0.75, cy + jaw * 0.75),
                 fill=(0, 0, 0, 0))
    turned = layer.rotate(-135, resample=Image.Resampling.BICUBIC, center=(s / 2, s / 2))
    return turned.transform(turned.size, Image.Transform.AFFINE,
                            (1, 0, -s * 0.12, 0, 1, -s * 0.12))


def draw_icon() -> Image.Image:
    s = SIZE * SUPERSAMPLE
    icon = _background(s)
    phone = _phone(s)
    shadow = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    shadow.putalpha(phone.getchannel("A").point(lambda a: a * 0.35))
    shadow = shadow.filter(ImageFilter.GaussianBlur(s * 0.012))
    icon.alpha_composite(shadow, (int(s * 0.01), int(s * 0.015)))
    icon.alpha_composite(phone)
    wrench = _wrench(s)
    outline = Image.new("RGBA", (s, s), (*BLUE_BOTTOM, 0))
    outline.putalpha(wrench.getchannel("A").filter(ImageFilter.MaxFilter(2 * int(s * 0.008) + 1)))
    icon.alpha_composite(outline)
    icon.alpha_composite(wrench)
    return icon.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent.parent / "resources" / "icons")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    icon = draw_icon()
    icon.resize((256, 256), Image.Resampling.LANCZOS).save(args.out / "shopdesk.png",
                                                           optimize=True)
    icon.save(args.out / "shopdesk.ico", sizes=ICO_SIZES)
    icon.save(args.out / "shopdesk.icns")
    for name in ("shopdesk.png", "shopdesk.ico", "shopdesk.icns"):
        print(f"{args.out / name}: {(args.out / name).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
