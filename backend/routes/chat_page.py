"""The customers' web chat: `GET /chat` and its static files, `GET /chat/embed.js`.

The files ship inside the package (no build step, no CDN) and go out with
a Content-Security-Policy that allows scripts, styles and connections from
this backend only, and no inline script: untrusted text can never run.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

from ..errors import NotFound

router = APIRouter(tags=["chat"], include_in_schema=False)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
"""Only this origin, never inline: a reply that smuggled markup still could not run it."""

FILES = {
    "chat.js": "text/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
    "embed.js": "text/javascript; charset=utf-8",
    "index.html": "text/html; charset=utf-8",
}
"""Every file the chat serves, with its media type; nothing else under /chat/ is served."""


@cache
def _asset(name: str) -> bytes:
    return resources.files("backend.channels").joinpath("webchat", name).read_bytes()


def asset_response(name: str) -> Response:
    """One of the chat's files with the security headers every one of them carries."""
    if name not in FILES:
        raise NotFound(f"no file {name!r} in the web chat")
    return Response(
        _asset(name),
        media_type=FILES[name],
        headers={
            "Content-Security-Policy": CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


@router.get("/chat")
async def chat_page() -> Response:
    """The customers' chat page."""
    return asset_response("index.html")


@router.get("/chat/{name}")
async def chat_asset(name: str) -> Response:
    """The chat page's script and style, and `embed.js` (a launcher for any web page)."""
    return asset_response(name)
