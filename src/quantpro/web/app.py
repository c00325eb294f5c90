"""The dashboard's web app: a read-only API over DATA_DIR, the page, and server-sent events (§15).

Nothing here writes. The feed comes from :class:`~quantpro.web.feedstate.FeedWatcher` (the last good
feed, and what is wrong with the file now); a market's candles are read only for a market the data
directory's discovery found; the page's assets come from memory. The interactive docs FastAPI offers
are switched off: they would load scripts from the internet.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import anyio
import anyio.to_thread
import orjson
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from sse_starlette.sse import EventSourceResponse

from quantpro.clock import Clock, SystemClock, now_ms
from quantpro.errors import QuantProError
from quantpro.feed.changes import changes_since, run_changes_json
from quantpro.secrets import redact, register_secret
from quantpro.settings import Settings
from quantpro.store.atomic import read_json
from quantpro.store.layout import BACKTEST_JSON
from quantpro.web.assets import load_assets
from quantpro.web.feedstate import FeedSnapshot, FeedWatcher
from quantpro.web.market import MarketNotFound, find_market, market_detail
from quantpro.web.rows import SORTS, RowQuery, row_of, select
from quantpro.web.security import AccessGuard
from quantpro.web.status import masked_settings, watch_status

__all__ = ["DEFAULT_POLL_S", "create_app"]

log = logging.getLogger(__name__)

#: How often the event stream looks at the feed file (one ``stat``).
DEFAULT_POLL_S = 1.0
_NO_STORE = {"cache-control": "no-store"}


def _json(obj: Any, status: int = 200) -> Response:
    body = redact(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()).encode()
    return Response(body, status_code=status, media_type="application/json", headers=_NO_STORE)


class _Rows:
    """The table's rows of the current feed, computed once per feed."""

    def __init__(self) -> None:
        self._version = -1
        self._rows: list[dict[str, Any]] = []

    def of(self, snapshot: FeedSnapshot, now: int) -> list[dict[str, Any]]:
        if snapshot.version != self._version:
            self._rows = [row_of(s, now) for s in snapshot.signals]
            self._version = snapshot.version
        for row in self._rows:  # ages move with the clock, the rest with the feed
            fired = row["fired_at"]
            row["age_s"] = max(0, (now - fired) // 1000) if fired is not None else None
        return self._rows


def _timeframes(snapshot: FeedSnapshot | None) -> tuple[str, str]:
    for signal in snapshot.signals if snapshot else []:
        meta = signal.get("meta") or {}
        if isinstance(meta.get("ltfInterval"), str) and isinstance(meta.get("htfInterval"), str):
            return meta["ltfInterval"], meta["htfInterval"]
    return "15m", "4h"


def create_app(
    data_dir: Path,
    settings: Settings,
    *,
    clock: Clock | None = None,
    poll_s: float = DEFAULT_POLL_S,
    host: str = "127.0.0.1",
) -> Any:
    """The ASGI app serving ``data_dir`` (wrapped in the access rules of :mod:`quantpro.web.security`)."""
    data_dir = Path(data_dir)
    clock = clock or SystemClock()
    token = settings.serve_token.get_secret_value() if settings.serve_token else None
    for secret in (settings.api_key, settings.alert_urls, settings.serve_token):
        register_secret(secret.get_secret_value() if secret else None)
    for url in settings.alert_url_list():
        register_secret(url)
    watcher = FeedWatcher(data_dir, clock)
    watcher.refresh()
    assets = load_assets()
    rows = _Rows()
    app = FastAPI(title="QuantPro", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.watcher = watcher
    app.state.closing = closing = threading.Event()  # set to end every event stream (tests, shutdown)

    async def current() -> FeedSnapshot | None:
        return await anyio.to_thread.run_sync(watcher.refresh)

    def no_feed() -> Response:
        return _json({"detail": watcher.problem, "feed": watcher.state()}, 503)

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        page = assets["index.html"]
        return Response(page.body, media_type=page.media_type, headers=_NO_STORE)

    @app.get("/static/{name:path}", include_in_schema=False)
    async def static(name: str) -> Response:
        asset = assets.get(name)  # a table lookup: a request's path never reaches the file system
        if asset is None:
            raise HTTPException(404, "no such asset")
        return Response(asset.body, media_type=asset.media_type)

    @app.get("/api/feed")
    async def feed() -> Response:
        snapshot = await current()
        if snapshot is None:
            return no_feed()
        headers = dict(_NO_STORE)
        if watcher.problem:
            headers["x-quantpro-feed-problem"] = redact(watcher.problem).encode("ascii", "replace").decode()
        return Response(snapshot.body, media_type="application/json", headers=headers)

    @app.get("/api/signals")
    async def signals(
        exchange: str | None = None,
        strategy: str | None = None,
        action: str | None = None,
        min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
        q: Annotated[str, Query(max_length=64)] = "",
        sort: str = "score",
    ) -> Response:
        if sort.lstrip("-") not in SORTS:
            raise HTTPException(422, f"sort must be one of {', '.join(SORTS)} (a leading - reverses)")
        snapshot = await current()
        if snapshot is None:
            return no_feed()
        query = RowQuery(
            RowQuery.split(exchange),
            RowQuery.split(strategy),
            RowQuery.split(action),
            min_score,
            q.strip(),
            sort,
        )
        all_rows = rows.of(snapshot, now_ms(clock))
        kept = select(all_rows, query)
        return _json(
            {
                "feed": watcher.state(),
                "run": snapshot.document["run"],
                "total": len(all_rows),
                "count": len(kept),
                "signals": kept,
            }
        )

    @app.get("/api/markets/{exchange}/{symbol}")
    async def market(exchange: str, symbol: str) -> Response:
        snapshot = await current()
        ltf, htf = _timeframes(snapshot)
        as_of = snapshot.last_updated if snapshot else now_ms(clock)
        feed_signals: list[Mapping[str, Any]] = snapshot.signals if snapshot else []

        def build() -> dict[str, Any]:
            files = find_market(data_dir, exchange, symbol, ltf=ltf, htf=htf)
            return market_detail(files, feed_signals, as_of_ms=as_of, ltf=ltf, htf=htf)

        try:
            detail = await anyio.to_thread.run_sync(build)
        except MarketNotFound:
            raise HTTPException(404, "no such market in the data directory") from None
        return _json(detail)

    @app.get("/api/changes")
    async def changes() -> Response:
        snapshot = await current()
        if snapshot is None:
            return no_feed()
        run = snapshot.document["run"]
        body: dict[str, Any] = {
            "source": "feed",
            "last_updated": snapshot.last_updated,
            "counts": run.get("changes"),
        }
        try:
            found = await anyio.to_thread.run_sync(lambda: changes_since(settings, data_dir, None))
        except (sqlite3.Error, OSError, QuantProError):
            found = None  # no history yet, or one we cannot read: the feed's counts still answer
        if found:
            body = {"source": "history", "last_updated": snapshot.last_updated, **run_changes_json(found[-1])}
        return _json(body)

    @app.get("/api/status")
    async def status() -> Response:
        await current()
        return _json(
            {
                "feed": watcher.state(),
                "watch": watch_status(data_dir),
                "data_dir": str(data_dir),
                "server": {"host": host, "token_required": token is not None, "now": now_ms(clock)},
                "settings": masked_settings(settings),
            }
        )

    @app.get("/api/backtest")
    async def backtest() -> Response:
        path = data_dir / BACKTEST_JSON
        if not path.is_file():
            raise HTTPException(404, f"no {BACKTEST_JSON} in the data directory: run `quantpro backtest`")
        report = read_json(path, what="backtest report")
        if report is None:
            return _json({"detail": f"{BACKTEST_JSON} is not valid JSON"}, 503)
        return _json(report)

    @app.get("/events")
    async def events(request: Request) -> EventSourceResponse:
        async def stream() -> AsyncIterator[dict[str, str]]:
            await current()
            seen = (watcher.state()["version"], watcher.problem)
            yield {"event": "hello", "data": redact(orjson.dumps(watcher.state()).decode())}
            while not closing.is_set() and not await request.is_disconnected():
                await anyio.sleep(poll_s)
                await current()
                state = watcher.state()
                if (state["version"], watcher.problem) != seen:
                    seen = (state["version"], watcher.problem)
                    yield {"event": "feed", "data": redact(orjson.dumps(state).decode())}

        return EventSourceResponse(stream(), ping=15, headers=_NO_STORE)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> Response:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=_NO_STORE)

    return AccessGuard(app, token=token)
