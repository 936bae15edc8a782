"""`POST /slack/interactions`: Slack's button clicks over HTTP.

A plain router (no sign-in, no CSRF form token): Slack signs each request with the app's
signing secret, and a request whose signature or timestamp (5 minutes) does not hold is refused
with 401 before anything is read. The click is answered by the Slack transport
(`jikoflow.notifications.slack_interactions`); Slack gets its 200 at once, and the refusal it
whispers or the cards it updates follow after the response.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request, Response, status
from starlette.concurrency import run_in_threadpool

from jikoflow.models.settings import Settings
from jikoflow.web.config import config_of

router = APIRouter(include_in_schema=False)


@router.post("/slack/interactions")
async def interactions(request: Request, background: BackgroundTasks) -> Response:
    """Verify Slack's signature, answer each click, reply 200."""
    # slack_sdk is loaded by the first click, not by every portal process that starts.
    from jikoflow.notifications.slack_interactions import (
        answer_all,
        follow_up,
        payload_of,
        verified,
    )

    settings: Settings = request.app.state.settings
    now = config_of(request.app.state).clock()
    if not settings.slack_signing_secret:
        return Response(status_code=status.HTTP_404_NOT_FOUND)
    body = await request.body()
    if not verified(settings.slack_signing_secret, body, request.headers, now=now):
        return Response(status_code=status.HTTP_401_UNAUTHORIZED)
    payload = payload_of(body)
    if payload is None:
        return Response(status_code=status.HTTP_400_BAD_REQUEST)
    answers = await run_in_threadpool(answer_all, settings, payload, now=now)
    background.add_task(follow_up, settings, answers)
    return Response(status_code=status.HTTP_200_OK)
