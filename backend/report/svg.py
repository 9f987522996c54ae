"""Small charts as inline SVG: no script, no network, readable when printed."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH = 560
BAR_HEIGHT = 22
INK = "#1f4e79"
MUTED = "#8a8a8a"


def bars(rows: Sequence[tuple[str, float]], *, unit: str = "", maximum: float | None = None) -> str:
    """Horizontal bars, one per (label, value), labelled with the value."""
    if not rows:
        return '<p class="empty">nothing in this period</p>'
    top = maximum or max(v for _, v in rows) or 1.0
    height = BAR_HEIGHT * len(rows) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'role="img" viewBox="0 0 {WIDTH} {height}">'
    ]
    for n, (label, value) in enumerate(rows):
        y = n * BAR_HEIGHT + 2
        width = max(1.0, (WIDTH - 260) * value / top)
        shown = f"{value:g}{unit}"
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(label[:32])}</text>'
            f'<rect x="190" y="{y + 3}" width="{width:.1f}" height="{BAR_HEIGHT - 8}" '
            f'fill="{INK}"><title>{escape(label)}: {escape(shown)}</title></rect>'
            f'<text x="{196 + width:.1f}" y="{y + 15}" font-size="12">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line(points: Sequence[tuple[str, float]], *, maximum: float = 1.0, unit: str = "") -> str:
    """A line over days, (label, value) each, with the first and last label under it."""
    if not points:
        return '<p class="empty">nothing in this period</p>'
    height, pad = 160, 24
    top = max(maximum, max(v for _, v in points)) or 1.0
    step = (WIDTH - 2 * pad) / max(len(points) - 1, 1)
    xy = [
        (pad + n * step, height - pad - (height - 2 * pad) * value / top)
        for n, (_, value) in enumerate(points)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{INK}">'
        f"<title>{escape(label)}: {value:g}{escape(unit)}</title></circle>"
        for (x, y), (label, value) in zip(xy, points, strict=True)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{WIDTH - pad}" y2="{height - pad}" '
        f'stroke="{MUTED}"/>'
        f'<polyline points="{path}" fill="none" stroke="{INK}" stroke-width="2"/>{dots}'
        f'<text x="{pad}" y="{height - 6}" font-size="11">{escape(points[0][0])}</text>'
        f'<text x="{WIDTH - pad}" y="{height - 6}" font-size="11" text-anchor="end">'
        f"{escape(points[-1][0])}</text>"
        f'<text x="2" y="{pad - 8}" font-size="11">{top:g}{escape(unit)}</text></svg>'
    )
