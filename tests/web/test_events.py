"""``/events`` on a real uvicorn on loopback: a `feed` event each time a new feed is written."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import orjson

from quantpro.settings import load_settings
from quantpro.store.layout import FEED_NAME
from quantpro.web.app import create_app

from .conftest import live_server, read_feed, write_feed_doc


def test_a_new_feed_and_a_torn_one_are_announced(data_dir: Path) -> None:
    feed = read_feed(data_dir)
    app = create_app(data_dir, load_settings(), poll_s=0.05)
    with (
        live_server(app) as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
        client.stream("GET", "/events") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        hello = _events_from(lines, 1)
        assert hello[0][0] == "hello" and hello[0][1]["version"] == 1

        newer = {**feed, "last_updated": feed["last_updated"] + 900_000, "signals": feed["signals"][:3]}
        threading.Timer(0.2, write_feed_doc, (data_dir, newer)).start()
        name, data = _events_from(lines, 1)[0]
        assert name == "feed"
        assert (data["version"], data["last_updated"], data["signals"], data["problem"]) == (
            2,
            newer["last_updated"],
            3,
            None,
        )
        assert client.get("/api/signals").json()["count"] == 3

        (data_dir / FEED_NAME).write_bytes(b'{"schema_version": 2, "sig')
        name, data = _events_from(lines, 1)[0]
        assert name == "feed" and "not valid JSON" in data["problem"] and data["version"] == 2
        assert client.get("/api/signals").json()["count"] == 3  # the last good one


def _events_from(lines: Any, wanted: int) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    name = None
    for line in lines:
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and name:
            found.append((name, orjson.loads(line.split(":", 1)[1])))
            name = None
            if len(found) == wanted:
                break
    return found
