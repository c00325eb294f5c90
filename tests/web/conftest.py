"""Dashboard fixtures: the demo's data directory (made once), a copy per test, the app on a real uvicorn
on loopback, and one headless Debian Chromium per session driven by Playwright (no `playwright install`)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from quantpro.store.layout import FEED_NAME

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory made by `quantpro demo` (40 markets, a scan against the in-process simulator)."""
    from quantpro.cli.main import main

    directory = tmp_path_factory.mktemp("web") / "demo"
    assert main(["-q", "demo", "--dir", str(directory)]) == 0
    assert (directory / FEED_NAME).is_file()
    return directory


@pytest.fixture
def data_dir(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo's data directory (tests replace its feed)."""
    target = tmp_path / "data"
    shutil.copytree(demo_dir, target)
    return target


def read_feed(data_dir: Path) -> dict[str, Any]:
    feed: dict[str, Any] = orjson.loads((data_dir / FEED_NAME).read_bytes())
    return feed


def write_feed_doc(data_dir: Path, feed: dict[str, Any]) -> None:
    """Replace the feed as the scanner does (its invariants checked, atomic rename)."""
    from quantpro.feed.io import write_feed

    write_feed(data_dir / FEED_NAME, feed)  # type: ignore[arg-type]


@dataclass
class LiveServer:
    url: str
    app: Any


@contextlib.contextmanager
def live_server(app: Any) -> Iterator[LiveServer]:
    """``app`` on a real uvicorn bound to 127.0.0.1 on a free port, in a thread, stopped afterwards."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        app.app.state.closing.set()  # end the event streams, or uvicorn waits for them
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's Chromium, launched once per session with a fresh profile; skipped when it is absent."""
    if not CHROMIUM.is_file():
        pytest.skip(
            "browser tests need Debian's chromium at /usr/bin/chromium (scripts/check installs it "
            "with apt when run as root; otherwise: sudo apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1600, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class Requests:
    """Every request the page made, and any that was not for 127.0.0.1 (aborted)."""

    seen: list[str]
    outside: list[str]


@dataclass
class Tab:
    page: Any
    requests: Requests
    errors: list[str]


@pytest.fixture
def tab(browser_context: Any) -> Iterator[Tab]:
    """A fresh page; every request is routed: loopback continues, anything else is aborted and named."""
    from urllib.parse import urlsplit

    requests = Requests([], [])

    def route(route: Any) -> None:
        url = route.request.url
        requests.seen.append(url)
        parts = urlsplit(url)
        local = parts.scheme in ("http", "https", "ws", "wss") and parts.hostname == "127.0.0.1"
        if local or parts.scheme == "data":
            route.continue_()
        else:
            requests.outside.append(url)
            route.abort()

    browser_context.clear_cookies()
    browser_context.route("**/*", route)
    new_page = browser_context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield Tab(new_page, requests, errors)
    finally:
        new_page.close()
        browser_context.unroute("**/*")
