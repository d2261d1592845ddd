"""Draw each addon's static/description/icon.png: a calendar page with a two-arrow sync mark.

Usage: .venv/bin/python scripts/make_icons.py [REPOSITORY_ROOT]   (needs Pillow, which Odoo uses)
"""

import math
import pathlib
import sys

from PIL import Image, ImageDraw

ROOT = (
    pathlib.Path(sys.argv[1])
    if len(sys.argv) > 1
    else pathlib.Path(__file__).resolve().parent.parent
)
SIZE, SCALE = 128, 4
S = SIZE * SCALE
ACCENTS = {
    "calendar_sync_base": (113, 75, 103),  # Odoo purple: the shared engine
    "calendar_sync_google": (26, 115, 232),  # blue
    "calendar_sync_microsoft": (216, 59, 1),  # orange
    "calendar_sync_exchange": (0, 120, 106),  # teal
}


def darker(color, factor=0.75):
    return tuple(int(c * factor) for c in color)


def arrow_arc(draw, center, radius, start, end, width, color):
    """An arc from `start` to `end` degrees (clockwise in PIL) with an arrowhead at `end`."""
    cx, cy = center
    box = [cx - radius, cy - radius, cx + radius, cy + radius]
    draw.arc(box, start, end, fill=color, width=width)
    angle = math.radians(end)
    tip_x, tip_y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
    # Tangent direction of a clockwise (increasing-angle) arc on screen.
    tx, ty = -math.sin(angle), math.cos(angle)
    nx, ny = math.cos(angle), math.sin(angle)
    head = width * 1.9
    points = [
        (tip_x + tx * head, tip_y + ty * head),
        (tip_x + nx * head - tx * head * 0.2, tip_y + ny * head - ty * head * 0.2),
        (tip_x - nx * head - tx * head * 0.2, tip_y - ny * head - ty * head * 0.2),
    ]
    draw.polygon(points, fill=color)


def icon(accent):
    image = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    u = S / 128  # one unit of the 128 px grid

    # Background tile.
    draw.rounded_rectangle([0, 0, S - 1, S - 1], radius=22 * u, fill=accent)

    # Calendar page with a header band and two binder rings.
    page = [18 * u, 24 * u, 98 * u, 104 * u]
    draw.rounded_rectangle(page, radius=9 * u, fill=(255, 255, 255))
    draw.rounded_rectangle([page[0], page[1], page[2], 46 * u], radius=9 * u, fill=darker(accent))
    draw.rectangle([page[0], 38 * u, page[2], 46 * u], fill=darker(accent))
    for x in (38, 78):
        draw.rounded_rectangle(
            [(x - 4) * u, 16 * u, (x + 4) * u, 32 * u], radius=4 * u, fill=(255, 255, 255)
        )
        draw.rounded_rectangle(
            [(x - 2) * u, 18 * u, (x + 2) * u, 30 * u], radius=2 * u, fill=darker(accent, 0.55)
        )
    # Day grid: 4 columns x 3 rows of small squares, one day highlighted.
    for row in range(3):
        for col in range(4):
            x0, y0 = (27 + col * 17) * u, (54 + row * 15) * u
            fill = accent if (row, col) == (0, 1) else (214, 214, 222)
            draw.rounded_rectangle([x0, y0, x0 + 11 * u, y0 + 9 * u], radius=2 * u, fill=fill)

    # Sync badge: white disc, accent ring, two arrows chasing each other.
    cx, cy, r = 94 * u, 94 * u, 27 * u
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 255, 255))
    draw.ellipse(
        [cx - r + 3 * u, cy - r + 3 * u, cx + r - 3 * u, cy + r - 3 * u], fill=darker(accent)
    )
    width = int(5 * u)
    arrow_arc(draw, (cx, cy), 14 * u, 200, 330, width, (255, 255, 255))
    arrow_arc(draw, (cx, cy), 14 * u, 20, 150, width, (255, 255, 255))
    return image.resize((SIZE, SIZE), Image.LANCZOS)


for addon, accent in ACCENTS.items():
    target = ROOT / addon / "static" / "description" / "icon.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    icon(accent).save(target, optimize=True)
    print("wrote", target)
