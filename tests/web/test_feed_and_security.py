"""Bad feeds (missing, torn, old schema, empty) keep the last good one; the token rules; no secret out."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import orjson
import pytest

from quantpro.cli.main import main
from quantpro.clock import FakeClock
from quantpro.errors import ConfigError
from quantpro.settings import load_settings
from quantpro.store.layout import FEED_NAME, WATCH_STATUS
from quantpro.web.app import create_app
from quantpro.web.security import COOKIE, check_bind

from .conftest import read_feed, write_feed_doc

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

LOCAL = "http://127.0.0.1:8000"
TOKEN = "serve-token-0123456789abcdef"
API_KEY = "coinalyze-key-secret-9876"
ALERT_URL = "tgram://bot-secret-token-555/chat-42"


def client(data_dir: Path, base_url: str = LOCAL, **settings: object) -> TestClient:
    app = create_app(data_dir, load_settings(**settings), clock=FakeClock(1.8e9))
    return TestClient(app, base_url=base_url, follow_redirects=False)


def bump(path: Path) -> None:
    """Make the file's identity change even within one mtime tick."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


# ------------------------------------------------------------------ bad feeds


def test_missing_feed_is_said_and_nothing_is_invented(data_dir: Path) -> None:
    (data_dir / FEED_NAME).unlink()
    c = client(data_dir)
    response = c.get("/api/signals")
    assert response.status_code == 503
    assert "no master_feed.json" in response.json()["detail"]
    assert c.get("/api/feed").status_code == 503
    assert c.get("/api/status").json()["feed"]["problem"].startswith("no master_feed.json")
    assert c.get("/").status_code == 200  # the page still loads and says so


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b'{"schema_version": 2, "last_updated": 17', "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"schema_version": 1, "last_updated": 1, "run": {}, "signals": []}', "schema_version 1"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"schema_version": 2, "last_updated": 1, "run": {}, "signals": [{"x": 1}]}', "signal 0 lacks"),
    ],
)
def test_a_bad_feed_keeps_the_last_good_one(data_dir: Path, content: bytes, said: str) -> None:
    good = read_feed(data_dir)
    c = client(data_dir)
    assert c.get("/api/signals").json()["count"] == len(good["signals"])
    path = data_dir / FEED_NAME
    path.write_bytes(content)
    bump(path)
    body = c.get("/api/signals").json()
    assert said in body["feed"]["problem"]
    assert body["count"] == len(good["signals"]) and body["feed"]["last_updated"] == good["last_updated"]
    feed = c.get("/api/feed")
    assert feed.status_code == 200 and orjson.loads(feed.content) == good
    assert said.split(maxsplit=1)[0] in feed.headers["x-quantpro-feed-problem"]
    # and a good feed again clears the problem
    write_feed_doc(data_dir, {**good, "last_updated": good["last_updated"] + 1})
    body = c.get("/api/signals").json()
    assert body["feed"]["problem"] is None and body["feed"]["last_updated"] == good["last_updated"] + 1


def test_a_bad_feed_at_start_is_said(data_dir: Path) -> None:
    (data_dir / FEED_NAME).write_bytes(b'{"schema_version": 1}')
    response = client(data_dir).get("/api/signals")
    assert response.status_code == 503 and "schema_version 1" in response.json()["detail"]


def test_an_empty_feed_is_an_empty_table(data_dir: Path) -> None:
    feed = read_feed(data_dir)
    write_feed_doc(data_dir, {**feed, "signals": []})
    body = client(data_dir).get("/api/signals").json()
    assert (body["total"], body["count"], body["signals"], body["feed"]["problem"]) == (0, 0, [], None)


# ------------------------------------------------------------------ binding and tokens


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    check_bind(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_any_other_address_refuses_to_start_without_a_token(host: str) -> None:
    with pytest.raises(ConfigError, match="QUANTPRO_SERVE_TOKEN"):
        check_bind(host, None)
    with pytest.raises(ConfigError):
        check_bind(host, "   ")
    check_bind(host, TOKEN)


def test_serve_command_exits_2_without_a_token(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["serve", str(data_dir), "--host", "0.0.0.0", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "QUANTPRO_SERVE_TOKEN" in err and "Traceback" not in err


def test_without_a_token_only_loopback_host_names_are_answered(data_dir: Path) -> None:
    assert client(data_dir, "http://localhost:8000").get("/api/status").status_code == 200
    assert client(data_dir, "http://[::1]:8000").get("/api/status").status_code == 200
    rebound = client(data_dir, "http://attacker.example:8000").get("/api/feed")  # DNS rebinding
    assert rebound.status_code == 403 and b"signals" not in rebound.content


def test_the_token_rules(data_dir: Path) -> None:
    c = client(data_dir, "http://192.168.1.20:8000", serve_token=TOKEN)
    for path in ("/", "/api/feed", "/api/signals", "/events", "/static/app.js"):
        denied = c.get(path)
        assert denied.status_code == 401 and b"signals" not in denied.content, path
    assert c.get("/api/feed", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/?token=wrong").status_code == 401
    assert c.get("/api/feed", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200

    # ?token= once: a redirect to the address without it, and an HttpOnly cookie that is not the token
    once = c.get(f"/?token={TOKEN}&x=1")
    assert once.status_code == 303 and once.headers["location"] == "/?x=1"
    cookie = once.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    assert TOKEN not in once.headers["location"]
    assert c.get("/api/signals").status_code == 200  # the client now holds the cookie
    c.cookies.clear()
    c.cookies.set(COOKIE, "forged")
    assert c.get("/api/signals").status_code == 401
    assert c.get(f"//evil.example/?token={TOKEN}").headers["location"].startswith("/")
    assert not c.get(f"//evil.example/?token={TOKEN}").headers["location"].startswith("//")


def test_secrets_are_never_in_any_response(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COINALYZE_API_KEY", API_KEY)
    monkeypatch.setenv("QUANTPRO_ALERT_URLS", ALERT_URL)
    monkeypatch.setenv("QUANTPRO_SERVE_TOKEN", TOKEN)
    monkeypatch.setenv("COINALYZE_BASE_URL", "https://user:basic-pass-secret@api.example/v1")
    # a watch status that (wrongly) echoes a secret must not carry it out either
    (data_dir / WATCH_STATUS).write_text(orjson.dumps({"error": f"send failed: {ALERT_URL}"}).decode())
    c = client(data_dir)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    feed = read_feed(data_dir)
    market = feed["signals"][0]
    paths = [
        "/",
        "/api/feed",
        "/api/signals",
        "/api/status",
        "/api/changes",
        "/api/backtest",
        f"/api/markets/{market['exchange']}/{market['symbol']}",
        "/static/app.js",
    ]
    status = c.get("/api/status", headers=headers).json()
    assert status["settings"]["api_key"] == "*** (set)"
    assert status["settings"]["alert_urls"] == "*** (set)"
    assert status["settings"]["serve_token"] == "*** (set)"
    assert status["settings"]["base_url"] == "https://***@api.example/v1"
    for path in paths:
        response = c.get(path, headers=headers)
        text = response.content.decode("utf-8", "replace") + str(response.headers)
        for secret in (API_KEY, ALERT_URL, "bot-secret-token-555", TOKEN, "basic-pass-secret"):
            assert secret not in text, (path, secret)
