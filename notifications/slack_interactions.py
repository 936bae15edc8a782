"""Slack's buttons: checking that a request came from Slack, reading the click, and answering it.

A click on 「受領確認」 reaches us over HTTP (`POST /slack/interactions`, signed with
`SLACK_SIGNING_SECRET`: slack-sdk's `SignatureVerifier` checks the signature and the 5-minute
window) or over Socket Mode (`slack_socket`). Either way it is answered here: the Slack user is
mapped to a person by the parties file's `slack_user`, and the act is the acknowledge service as
that person through Slack — so only a manager of the recipient organisation may (DESIGN.md §8).
Anyone else gets an ephemeral refusal and nothing changes. A drill's contact check (Art. 24
(3)) is confirmed the same way, by the drill service. An acknowledgement queues the news
for the reporting organisation; delivering it brings every card of the incident up to date
(who, when). The service is idempotent: a replayed or doubled click changes nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from jikoflow.drills.schemas import AckInput
from jikoflow.drills.service import acknowledge as confirm_check
from jikoflow.models.access import Principal
from jikoflow.models.accounts.service import authenticate_slack_user
from jikoflow.models.enums import Lang
from jikoflow.models.errors import BadInput, Forbidden, NotFound
from jikoflow.models.incidents.service import acknowledge
from jikoflow.models.settings import Settings
from jikoflow.notifications.base import DeliveryError
from jikoflow.notifications.messages import ACK_ACTION, DRILL_ACK_ACTION, parse_ack_value
from jikoflow.usecases import act, read

REFUSALS: dict[Lang, dict[str, str]] = {
    Lang.JA: {
        "unknown_user": (
            "受領確認できません: この Slack アカウントは jikoflow の当事者ファイルの管理責任者に"
            "結び付けられていません。"
        ),
        "not_allowed": "受領確認できません: 報告先の組織の管理責任者だけが受領を確認できます。",
        "bad_button": "受領確認できません: このボタンの内容を読み取れません。",
        "refused": "受領確認できません: {reason}",
    },
    Lang.EN: {
        "unknown_user": (
            "Not acknowledged: this Slack account belongs to no manager in jikoflow's parties."
        ),
        "not_allowed": "Not acknowledged: only a manager of the recipient organisation may.",
        "bad_button": "Not acknowledged: this button could not be read.",
        "refused": "Not acknowledged: {reason}",
    },
}


class _At(Clock):
    """slack-sdk's clock, standing at a given moment (the app's own clock, injectable)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> float:
        return self.moment.timestamp()


def verified(secret: str, body: bytes, headers: Mapping[str, str], *, now: datetime) -> bool:
    """Whether Slack signed `body` with `secret` less than five minutes from `now`."""
    return SignatureVerifier(secret, clock=_At(now)).is_valid_request(body, dict(headers))


def payload_of(body: bytes) -> dict[str, Any] | None:
    """The JSON `payload` field of an interaction request's form body; None when there is none."""
    try:
        values = parse_qs(body.decode("utf-8"), strict_parsing=False).get("payload")
        data = json.loads(values[0]) if values else None
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class Click:
    """One button click: who (Slack user id), which button and its value, where."""

    user: str
    action: str
    value: str | None
    channel: str | None


def clicks_of(payload: Mapping[str, Any]) -> list[Click]:
    """The button clicks of a `block_actions` payload (anything else has none)."""
    if payload.get("type") != "block_actions":
        return []
    user = (payload.get("user") or {}).get("id")
    channel = (payload.get("channel") or {}).get("id") or (payload.get("container") or {}).get(
        "channel_id"
    )
    if not isinstance(user, str) or not user:
        return []
    clicks = []
    for action in payload.get("actions") or []:
        if isinstance(action, dict) and isinstance(action.get("action_id"), str):
            value = action.get("value")
            clicks.append(
                Click(
                    user=user,
                    action=action["action_id"],
                    value=value if isinstance(value, str) else None,
                    channel=channel if isinstance(channel, str) else None,
                )
            )
    return clicks


@dataclass(frozen=True)
class Answer:
    """What a click came to: an incident acknowledged (to deliver for), or a refusal to whisper."""

    click: Click
    incident: str | None = None
    refusal: str | None = None


def answer(settings: Settings, click: Click, *, now: datetime) -> Answer:
    """Acknowledge as the clicking person, or say why not; 「開く」 is a link and needs nothing."""
    if click.action not in (ACK_ACTION, DRILL_ACK_ACTION):
        return Answer(click)
    words = REFUSALS[settings.lang]
    target = parse_ack_value(click.value or "")
    if target is None:
        return Answer(click, refusal=words["bad_button"])
    url = settings.database_url
    actor: Principal | None = read(url, authenticate_slack_user, slack_user=click.user)
    if actor is None:
        return Answer(click, refusal=words["unknown_user"])
    subject, org = target
    try:
        if click.action == DRILL_ACK_ACTION:
            data = AckInput(org=org)
            act(url, confirm_check, actor=actor, drill_id=subject, data=data, now=now)
            return Answer(click)  # a contact check's confirmation sends nothing
        act(url, acknowledge, actor=actor, incident_id=subject, org_id=org, now=now)
    except (NotFound, Forbidden):
        return Answer(click, refusal=words["not_allowed"])
    except BadInput as exc:
        return Answer(click, refusal=words["refused"].format(reason=exc.message))
    return Answer(click, incident=subject)


def answer_all(settings: Settings, payload: Mapping[str, Any], *, now: datetime) -> list[Answer]:
    """Every click of an interaction payload, answered."""
    return [answer(settings, click, now=now) for click in clicks_of(payload)]


def follow_up(settings: Settings, answers: list[Answer]) -> None:
    """After Slack has its reply: whisper each refusal, deliver what acknowledgements queued
    (the reporter hears of it, and every card of the incident shows who and when)."""
    from jikoflow.notifications.delivery import deliver

    refused = [a for a in answers if a.refusal and a.click.channel]
    if refused and settings.slack_token:
        from jikoflow.notifications.slack import SlackChannel

        channel = SlackChannel(settings.slack_token, settings.slack_api_url)
        for item in refused:
            where, text = item.click.channel or "", item.refusal or ""
            try:
                channel.whisper(where, item.click.user, text)
            except DeliveryError:
                continue  # the refusal changed nothing; a lost whisper changes nothing either
    acknowledged = [a.incident for a in answers if a.incident]
    if acknowledged:
        deliver(settings, subjects=acknowledged)
