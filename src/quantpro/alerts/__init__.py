"""Alerts through Apprise (docs/design.md §14): channels named without their secrets, the messages,
and the dispatcher that sends each new signal once per channel, deduplicated in the store."""

from __future__ import annotations

from quantpro.alerts.channels import Channel, Sender, apprise_send, parse_channels
from quantpro.alerts.dispatch import ChannelResult, Dispatcher
from quantpro.alerts.message import DIGEST_OVER, digest_message, signal_message

__all__ = [
    "DIGEST_OVER",
    "Channel",
    "ChannelResult",
    "Dispatcher",
    "Sender",
    "apprise_send",
    "digest_message",
    "parse_channels",
    "signal_message",
]
