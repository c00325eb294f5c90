"""``quantpro alerts test``: one test message to every alert URL (docs/design.md §14)."""

from __future__ import annotations

import sys

import typer

from quantpro.cli.app import CONTEXT, EXIT_NO_FEED, EXIT_OK, EXIT_USAGE, app, settings_for

alerts_app = typer.Typer(
    help="Alert channels (QUANTPRO_ALERT_URLS, Apprise URLs).", no_args_is_help=True, context_settings=CONTEXT
)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("test")
def test() -> int:
    """Send one test message to every URL of QUANTPRO_ALERT_URLS and say which arrived.

    Channels are named by scheme and a short hash, never by URL (URLs hold secrets). Exit 0 when every
    channel took the message, 1 when one did not, 2 when no URL is set.
    """
    from quantpro.alerts import Dispatcher
    from quantpro.clock import SystemClock, now_ms

    settings = settings_for()
    urls = settings.alert_url_list()
    if not urls:
        print("QUANTPRO_ALERT_URLS is not set (environment or .env); nothing to test", file=sys.stderr)
        return EXIT_USAGE
    results = Dispatcher(urls, settings.alert_min_score).test(now_ms(SystemClock()))
    for position, result in enumerate(results, start=1):
        verdict = "delivered" if result.state == "ok" else f"NOT delivered: {result.error}"
        print(f"alert URL {position} ({result.channel}): {verdict}")
    return EXIT_OK if all(r.state == "ok" for r in results) else EXIT_NO_FEED
