"""The customers' web chat in a real browser: Debian's headless Chromium, driven by Playwright.

Sync tests on purpose: Playwright's sync API refuses to run inside an event
loop, and pytest-asyncio only runs one for `async def` tests. Where
/usr/bin/chromium is missing the tests skip, unless HITL_REQUIRE_BROWSER is
set (as `.ci/run` does), where they fail instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.settings import DEFAULT_DISCLOSURE
from tests.helpers import Backend, LiveServer

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 10_000
HOSTILE = "<img src=x onerror=alert(1)> <b>bold</b> <script>alert(2)</script> \x1b[31mred"


def _no_browser(reason: str) -> None:
    if os.environ.get("HITL_REQUIRE_BROWSER"):
        pytest.fail(f"HITL_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for this module's tests (one launch: it takes a second)."""
    if not Path(CHROMIUM).exists():
        _no_browser(f"{CHROMIUM} is absent (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, live_backend: Backend) -> Iterator[Any]:
    """A fresh browser profile (own localStorage) on the chat page; records any dialog."""
    context = browser.new_context(base_url=live_backend.url)
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    tab.dialogs = []
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    tab.goto("/chat")
    yield tab
    context.close()


def until(check: Callable[[], Any], timeout: float = WAIT_MS / 1000) -> Any:
    """Poll `check()` until it returns something truthy (a sync test has no event loop)."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
    return result


class Operator:
    """Alice at the operators' API, over plain sync HTTP."""

    def __init__(self, backend: Backend, name: str = "alice") -> None:
        self.http = httpx.Client(
            base_url=backend.url,
            headers={"Authorization": f"Bearer {backend.tokens[name]}"},
            timeout=10,
        )

    def detail(self, cid: str) -> dict[str, Any]:
        """The conversation as the console sees it."""
        response = self.http.get(f"/v1/conversations/{cid}")
        response.raise_for_status()
        detail: dict[str, Any] = response.json()
        return detail

    def approve_pending(self, cid: str) -> str:
        """Approve the draft that waits in `cid` (waiting for it first); returns its text."""
        draft = until(lambda: self.detail(cid)["draft"])
        response = self.http.post(
            f"/v1/drafts/{draft['id']}/approve", headers={"If-Match": f'"{draft["version"]}"'}
        )
        response.raise_for_status()
        text: str = draft["text"]
        return text

    def take_over_and_write(self, cid: str, text: str) -> None:
        """Hold the conversation and write to the customer."""
        version = self.detail(cid)["version"]
        response = self.http.post(
            f"/v1/conversations/{cid}/takeover",
            json={"reason_code": "policy"},
            headers={"If-Match": f'"{version}"'},
        )
        response.raise_for_status()
        self.http.post(f"/v1/conversations/{cid}/messages", json={"text": text}).raise_for_status()


def start_chat_by_keyboard(page: Any, name: str = "Jo Customer") -> str:
    """Start a chat with the keyboard only; returns the conversation id the page keeps."""
    page.focus("#name")
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type("jo@example.com")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#messages li")
    chat: dict[str, str] = page.evaluate("JSON.parse(localStorage.getItem('hitl.chat'))")
    return chat["id"]


def say(page: Any, text: str) -> None:
    """Write a message and send it with Enter, as a customer would."""
    page.focus("#text")
    page.keyboard.insert_text(text)
    page.keyboard.press("Enter")


def texts(page: Any) -> list[str]:
    """The message list's texts, as the customer reads them."""
    result: list[str] = page.locator("#messages li .text").all_text_contents()
    return result


def wait_for_text(page: Any, text: str) -> None:
    """Until a message with exactly `text` shows."""
    until(lambda: text in texts(page))


def test_a_chat_starts_with_the_disclosure_and_a_reply_arrives_without_reload(
    page: Any, live_backend: Backend
) -> None:
    cid = start_chat_by_keyboard(page)
    assert texts(page)[0] == DEFAULT_DISCLOSURE
    say(page, "Where is my order?")
    wait_for_text(page, "Where is my order?")

    reply = Operator(live_backend).approve_pending(cid)
    wait_for_text(page, reply)
    last = page.locator("#messages li").last
    assert "reviewed by a person" in last.locator(".mark").text_content()
    assert page.locator("#notice").text_content() == ""


def test_escalation_shows_that_a_person_will_reply(page: Any) -> None:
    start_chat_by_keyboard(page)
    say(page, "I want to talk to a human")
    page.wait_for_selector("#notice:has-text('A person will reply')")


def test_hostile_text_shows_as_text_and_runs_nothing(page: Any, live_backend: Backend) -> None:
    cid = start_chat_by_keyboard(page)
    say(page, HOSTILE)
    Operator(live_backend).take_over_and_write(cid, "reply " + HOSTILE)
    wait_for_text(page, "reply " + HOSTILE)
    wait_for_text(page, HOSTILE)
    assert page.locator("#messages img, #messages b, #messages script").count() == 0
    assert page.dialogs == []
    assert "Written by a person" in page.locator("#messages li").last.text_content()


def test_a_reload_keeps_the_conversation_and_doubles_nothing(
    page: Any, live_backend: Backend
) -> None:
    cid = start_chat_by_keyboard(page)
    say(page, "Where is my order?")
    reply = Operator(live_backend).approve_pending(cid)
    wait_for_text(page, reply)
    before = texts(page)

    page.reload()
    until(lambda: len(texts(page)) >= len(before))
    assert texts(page) == before
    assert page.locator("#conversation").is_visible()


def test_a_backend_restart_loses_and_doubles_nothing(
    page: Any, live_server: LiveServer, live_backend: Backend
) -> None:
    cid = start_chat_by_keyboard(page)
    say(page, "Where is my order?")
    wait_for_text(page, "Where is my order?")
    live_server.stop()
    live_server.start()

    reply = Operator(live_backend).approve_pending(cid)
    wait_for_text(page, reply)
    assert texts(page) == [DEFAULT_DISCLOSURE, "Where is my order?", reply]


def test_readable_at_320_pixels_and_labelled(page: Any) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    start_chat_by_keyboard(page)
    say(page, "x" * 300)
    wait_for_text(page, "x" * 300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.get_by_label("Your message").is_visible()
    assert page.locator("#messages").get_attribute("aria-live") == "polite"


def test_embed_script_adds_a_launcher_that_opens_the_chat(
    browser: Any, live_backend: Backend
) -> None:
    context = browser.new_context()
    host = context.new_page()
    host.set_content(f'<h1>Shop</h1><script src="{live_backend.url}/chat/embed.js"></script>')
    host.get_by_role("button", name="Chat with us").click()
    frame = host.frame_locator("#hitl-chat-frame")
    frame.get_by_label("Your name").wait_for(timeout=WAIT_MS)
    context.close()


def test_the_complaint_button_brings_a_person_and_says_so(page: Any, live_backend: Backend) -> None:
    cid = start_chat_by_keyboard(page)
    page.focus("#text")
    page.keyboard.insert_text("The refund you promised never came.")
    page.focus("#complain")  # keyboard only: the button is reachable and pressed with Enter
    page.keyboard.press("Enter")

    page.wait_for_selector("#notice:has-text('A person will reply')")
    wait_for_text(page, "The refund you promised never came.")
    until(lambda: any("person" in t.lower() for t in texts(page)[2:]))
    assert page.locator("#text").input_value() == ""
    detail = Operator(live_backend).detail(cid)
    assert detail["status"] == "escalated" and detail["escalation_reason"] == "complaint"


def test_the_chat_tells_the_backend_the_browsers_language(
    browser: Any, live_backend: Backend
) -> None:
    context = browser.new_context(base_url=live_backend.url, locale="de-AT")
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    tab.goto("/chat")
    cid = start_chat_by_keyboard(tab)
    assert Operator(live_backend).detail(cid)["customer"]["language"] == "de"
    context.close()
