"""Message builders: every event, both languages, escaping, mentions and Slack's limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jikoflow.models.enums import (
    IncidentKind,
    IncidentState,
    Lang,
    ReportStatus,
    StepName,
    StepStatus,
)
from jikoflow.models.outbox.facts import (
    MAX_REPORTS,
    NoticeEvent,
    NoticeFacts,
    ReportFact,
    StepFact,
    Subject,
    listed,
)
from jikoflow.notifications.base import Context, DeliveryError, Divider, Header, Message, Section
from jikoflow.notifications.mail_messages import build_mail
from jikoflow.notifications.messages import (
    ack_value,
    build_card,
    build_message,
    escape_mrkdwn,
    format_time,
    parse_ack_value,
)
from jikoflow.notifications.slack import _typed, slack_blocks

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
STEPS = tuple(
    StepFact(name=n, status=StepStatus.PENDING, due_at=T0 + timedelta(hours=1)) for n in StepName
)


def facts(event: NoticeEvent = NoticeEvent.REPORT, **changes: object) -> NoticeFacts:
    base = NoticeFacts(
        event=event,
        subject_id="INC-20260601-ABC123",
        contract_id="C-2026-001",
        contract_title="住民情報システム運用保守業務",
        org_id="delta",
        org_name="デルタ入力サービス有限会社",
        recipient_id="nerima",
        recipient_name="練馬区 情報政策課",
        kind=IncidentKind.LEAK,
        suspected=True,
        state=IncidentState.OPEN,
        declared_at=T0,
        steps=STEPS,
        reports=(
            ReportFact(org_name="練馬区 情報政策課", status=ReportStatus.PENDING, org_id="nerima"),
        ),
        step=StepName.CONTAINMENT,
        step_status=StepStatus.PENDING,
        due_at=T0 + timedelta(hours=1),
        mentions=("U0TANAKA",),
        record_version=1,
        inject=2,
    )
    return base.model_copy(update=changes)


def rendered(message: Message) -> str:
    return message.text + json.dumps(slack_blocks(message), ensure_ascii=False)


BUILDERS = [build_message, build_card]


@pytest.mark.parametrize("lang", list(Lang))
@pytest.mark.parametrize("event", list(NoticeEvent))
@pytest.mark.parametrize("build", BUILDERS)
def test_every_event_builds_valid_blocks_in_both_languages(build, event, lang) -> None:
    message = build(facts(event), lang, key="k")
    blocks = slack_blocks(message)
    assert blocks[0]["type"] == "header"
    assert message.key == "k"
    assert "INC-20260601-ABC123" in message.text
    assert "{" not in message.text  # every placeholder was filled


def test_event_headings_are_japanese_by_default_and_english_by_setting() -> None:
    assert build_message(facts(NoticeEvent.ESCALATION)).text.startswith("期限超過 ")
    english = build_message(facts(NoticeEvent.ESCALATION), Lang.EN).text
    assert english.startswith("Overdue ")
    assert "containment is overdue (due 2026-06-01 11:00 JST)" in english


def test_a_measures_messages_give_its_number_and_due_time_in_either_language() -> None:
    def measure(event: NoticeEvent) -> NoticeFacts:
        return facts(event, step=None, step_status=None, measure=2, inject=None)

    due = build_message(measure(NoticeEvent.MEASURE_DUE)).text
    assert due.startswith("再発防止策の実施期限が近づいています ")
    assert "再発防止策 2 の実施期限（2026年6月1日 11:00）が近づいています。" in due
    late = build_message(measure(NoticeEvent.MEASURE_OVERDUE)).text
    assert late.startswith("再発防止策の実施期限超過 ")
    assert "再発防止策 2 が実施期限（2026年6月1日 11:00）を過ぎています。" in late
    english = build_message(measure(NoticeEvent.MEASURE_DUE), Lang.EN).text
    assert english.startswith("Prevention measure due soon ")
    assert "Prevention measure 2 is due 2026-06-01 11:00 JST." in english
    english = build_message(measure(NoticeEvent.MEASURE_OVERDUE), Lang.EN).text
    assert "Prevention measure 2 is overdue (due 2026-06-01 11:00 JST)." in english
    mail = build_mail(measure(NoticeEvent.MEASURE_OVERDUE), Lang.EN)
    assert "Prevention measure: 2" in mail.body


def test_the_card_shows_every_step_and_report() -> None:
    card = rendered(build_card(facts(NoticeEvent.STATE)))
    for label in ("被害拡大防止措置", "甲・乙等への報告", "原因分析", "再発防止策", "記録の提出"):
        assert f"{label}: 未着手" in card
    assert "練馬区 情報政策課: 未送信" in card


def test_steps_read_alike_in_the_card_the_e_mail_and_the_terminal() -> None:
    """Containment under way is 措置中 everywhere; English brackets are ASCII, after a space."""
    steps = tuple(
        StepFact(name=s.name, status=StepStatus.IN_PROGRESS, due_at=s.due_at) for s in STEPS
    )
    shown = facts(NoticeEvent.STATE, steps=steps)
    for text in (rendered(build_card(shown)), build_mail(shown, Lang.JA, opening=True).body):
        assert "被害拡大防止措置: 措置中（期限 " in text
        assert "原因分析: 対応中（期限 " in text
    english = rendered(build_card(shown, Lang.EN))
    assert "containment: measures under way (due " in english.lower()
    assert "（" not in english


def test_drills_carry_the_marker_everywhere() -> None:
    for build in BUILDERS:
        ja = build(facts(NoticeEvent.DRILL_CHECK, drill=True))
        en = build(facts(NoticeEvent.DRILL_CHECK, drill=True), Lang.EN)
        assert ja.text.startswith("【訓練】")
        assert en.text.startswith("[DRILL] ")
        assert slack_blocks(ja)[0]["text"]["text"].startswith("【訓練】")
    assert not build_card(facts()).text.startswith("【訓練】")


def test_the_portal_link_and_the_acknowledge_button_until_acknowledged() -> None:
    link = "http://127.0.0.1:8080/incidents/INC-20260601-ABC123"
    for message in (build_message(facts(NoticeEvent.REPORT)), build_card(facts(NoticeEvent.STATE))):
        assert link in message.text
        assert "jikoflow" not in message.text.lower().replace("jikoflow_", "")
        assert action_ids(message) == ["jikoflow_ack", "jikoflow_open"]
        ack = slack_blocks(message)[-1]["elements"][0]
        assert parse_ack_value(ack["value"]) == ("INC-20260601-ABC123", "nerima")
        assert slack_blocks(message)[-1]["elements"][1]["url"] == link
    acked = (ReportFact(org_name="練馬区", status=ReportStatus.ACKNOWLEDGED, org_id="nerima"),)
    done = build_card(facts(NoticeEvent.STATE, reports=acked))
    assert action_ids(done) == ["jikoflow_open"]
    assert "受領確認は" not in done.text
    elsewhere = build_card(facts(NoticeEvent.STATE), portal="https://portal.example.lg.jp/")
    assert "https://portal.example.lg.jp/incidents/INC-20260601-ABC123" in elsewhere.text
    drill = build_message(facts(NoticeEvent.DRILL_CHECK, drill=True))
    assert "ポータルの訓練のページ" in drill.text
    assert action_ids(drill) == ["jikoflow_drill_ack", "jikoflow_open"]


def action_ids(message) -> list[str]:
    """The action ids of the message's buttons."""
    rows = [b for b in slack_blocks(message) if b["type"] == "actions"]
    return [e["action_id"] for row in rows for e in row["elements"]]


def test_an_acknowledge_button_carries_ids_only() -> None:
    assert parse_ack_value(ack_value("INC-1", "nerima")) == ("INC-1", "nerima")
    for hostile in ("", "null", "[]", '{"incident": 1, "org": "x"}', '{"incident": "INC-1"}'):
        assert parse_ack_value(hostile) is None


def test_only_well_formed_user_ids_become_mentions() -> None:
    message = build_message(facts(mentions=("U0TANAKA", "<!channel>", "here", "W0ABC")))
    assert "<@U0TANAKA> " in message.text
    assert "<@W0ABC>" in message.text
    assert "<!channel>" not in rendered(message)
    assert "<@here>" not in rendered(message)


def test_card_updates_do_not_mention_again() -> None:
    assert "<@U0TANAKA>" in build_card(facts()).text
    assert "<@" not in rendered(build_card(facts(), mention=False))


def test_times_are_shown_in_tokyo() -> None:
    assert format_time(T0) == "2026年6月1日 10:00"
    assert format_time(T0, Lang.EN) == "2026-06-01 10:00 JST"


def test_escape_mrkdwn() -> None:
    assert escape_mrkdwn("A&B <!channel>") == "A&amp;B &lt;!channel&gt;"


_MENTION = re.compile(r"<@U0TANAKA>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_LINK = re.compile(
    r"<http://127\.0\.0\.1:8080/(incidents|drills)/INC-20260601-ABC123\|INC-20260601-ABC123>"
)


@settings(max_examples=150)
@given(
    name=st.text(min_size=1, max_size=200),
    title=st.text(min_size=1, max_size=300),
    event=st.sampled_from(list(NoticeEvent)),
    build=st.sampled_from(BUILDERS),
    lang=st.sampled_from(list(Lang)),
)
def test_no_name_can_inject_markup(name, title, event, build, lang) -> None:
    reports = tuple(ReportFact(org_name=name, status=ReportStatus.PENDING) for _ in range(3))
    message = build(
        facts(event, org_name=name, recipient_name=name, contract_title=title, reports=reports),
        lang,
    )
    blocks = [b for b in slack_blocks(message) if b["type"] != "actions"]  # ids and a URL
    for text in (message.text, json.dumps(blocks, ensure_ascii=False)):
        bare = _ENTITY.sub("", _MENTION.sub("", _LINK.sub("", text)))
        assert "<" not in bare
        assert ">" not in bare
        assert "&" not in bare


def test_the_largest_facts_stay_within_slack_limits() -> None:
    huge = "名" * 200
    many = tuple(ReportFact(org_name=huge, status=ReportStatus.PENDING) for _ in range(60))
    big = facts(
        NoticeEvent.STATE,
        org_name=huge,
        recipient_name=huge,
        contract_title="題" * 300,
        reports=many,
        mentions=tuple(f"U{n:08d}" for n in range(50)),
    )
    for build in BUILDERS:
        for lang in Lang:
            slack_blocks(build(big, lang))  # raises DeliveryError(invalid_blocks) beyond a limit
    shown = json.dumps(slack_blocks(build_card(big)), ensure_ascii=False)
    assert re.search(r"ほか [1-9][0-9] 件", shown)


@pytest.mark.parametrize("lang", list(Lang))
@pytest.mark.parametrize("event", list(NoticeEvent))
@pytest.mark.parametrize("build", BUILDERS)
def test_blocks_are_what_slack_sdk_typed_blocks_write(build, event, lang) -> None:
    message = build(facts(event), lang, key="k")
    assert slack_blocks(message) == [_typed(part).to_dict() for part in message.blocks]


def test_edge_parts_are_written_as_slack_sdk_writes_them() -> None:
    parts = (Header(""), Section(fields=("", "b")), Section(text="x"), Context(()), Divider())
    message = Message(text="t", blocks=parts)
    assert slack_blocks(message) == [_typed(part).to_dict() for part in parts]


@pytest.mark.parametrize(
    "part",
    [
        Header("見" * 151),
        Section(text="x" * 3001),
        Section(fields=tuple("abcdefghijk")),
        Section(fields=("x" * 2001,)),
        Section(),
        Context(tuple("abcdefghijk")),
    ],
)
def test_a_part_beyond_slack_limits_is_refused_after_valid_ones_of_its_kind(part) -> None:
    valid = (Header("見"), Section(text="x", fields=("a",)), Context(("a",)))
    slack_blocks(Message(text="t", blocks=valid))
    with pytest.raises(DeliveryError, match="invalid_blocks") as refused:
        slack_blocks(Message(text="t", blocks=(part,)))
    assert refused.value.permanent


def _deep(count: int, recipient: str) -> NoticeFacts:
    """The facts of a report from a tier `count` levels deep: every ancestor, 乙 and 甲."""
    ancestors = [
        ReportFact(org_name=f"下請{n}", status=ReportStatus.PENDING, org_id=f"s{n}")
        for n in range(count - 2, 0, -1)
    ]
    ends = [
        ReportFact(org_name="アクメ", status=ReportStatus.PENDING, org_id="acme"),
        ReportFact(org_name="練馬区", status=ReportStatus.DELIVERED, org_id="nerima"),
    ]
    return facts(NoticeEvent.REPORT, reports=(*ancestors, *ends), recipient_id=recipient)


def test_a_deep_chains_message_lists_the_nearest_tiers_the_ends_and_its_own_report() -> None:
    deep = _deep(2_000, recipient="s700")
    shown = listed(deep)
    assert len(shown.reports) == MAX_REPORTS
    assert shown.report_count == 2_000
    ids = [r.org_id for r in shown.reports]
    assert ids[: MAX_REPORTS - 3] == [r.org_id for r in deep.reports[: MAX_REPORTS - 3]]
    assert ids[-2:] == ["acme", "nerima"]
    assert "s700" in ids
    # Chat and e-mail count what they leave out against the whole chain.
    card = slack_blocks(build_card(shown))
    [more] = re.findall(r"ほか (\d+) 件", json.dumps(card, ensure_ascii=False))
    listed_lines = len(re.findall(r"• ", json.dumps(card, ensure_ascii=False)))
    assert int(more) + listed_lines - len(STEPS) == 2_000
    assert f"ほか {2_000 - 50} 件" in build_mail(shown, Lang.JA, opening=True).body


def test_a_short_list_of_reports_is_carried_whole() -> None:
    short = _deep(MAX_REPORTS, recipient="s3")
    assert listed(short) is short
    assert short.report_count == MAX_REPORTS


def test_only_a_report_names_its_recipient_as_such() -> None:
    """報告先 is a report's recipient; an acknowledgement told to the reporter, or an update in
    each channel, is only addressed there and does not call its addressee 報告先."""
    report = rendered(build_message(facts(NoticeEvent.REPORT)))
    assert "報告先" in report
    assert "練馬区 情報政策課" in report
    for event in (NoticeEvent.ACKNOWLEDGED, NoticeEvent.STATE, NoticeEvent.ESCALATION):
        for text in (rendered(build_message(facts(event))), build_mail(facts(event)).body):
            assert "報告先" not in text, event


def test_the_first_report_is_called_so_once() -> None:
    said = build_message(facts(NoticeEvent.DECLARED)).text  # the heading, then the lead
    assert said.count("第一報") == 1
    assert said.startswith("事故等の報告（第一報）")


def test_a_drills_own_messages_call_its_id_the_drills() -> None:
    check = facts(NoticeEvent.DRILL_CHECK, drill=True, subject=Subject.DRILL, subject_id="DRL-1")
    for text in (rendered(build_message(check)), build_mail(check).body):
        assert "訓練ID" in text
        assert "事故ID" not in text
    assert "Drill" in build_mail(check, Lang.EN).body
    assert "事故ID" in rendered(build_message(facts()))
