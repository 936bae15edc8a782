"""The APPI clocks for 甲 (DESIGN.md §6): must 甲 report to the PPC, why, and by when.

A pure function of the facts, the kind of incident, the client's sector and the moment 甲
learned of it (the delivery of the report to 甲). The rules:

- A public body (行政機関等; APPI Art. 68, the Commission's rules 規則第43条) reports a 漏えい,
  滅失 or 毀損 of personal information involving sensitive data (要配慮, including the ward's
  条例要配慮個人情報), possible financial damage, an improper purpose, or **more than 100
  people**. A private business (APPI Art. 26, 規則第7条) reports the same cases above **1,000
  people**. A public body is assumed unless the parties file says otherwise.
- My Number data (特定個人情報) follows the My Number Act (番号法第29条の4); for a public body
  that holds it in its own files every leak of it is reportable, so it is flagged as a reason
  of its own.
- A breach of the provisions (kind `violation`) is not in itself a 漏えい等: it becomes
  reportable only once reclassified as one.
- 速報 (preliminary) is due 3 days and 確報 (final) 30 days — 60 with an improper purpose —
  after 甲 learned of it. These are **calendar days**, weekends and holidays included, counted
  from the day after 甲 learned of it (民法第140条), because the Commission's guidelines
  (通則編 3-5-3-4) count them so; a period that ends on a day offices are closed (a weekend, a
  national holiday, 12/29–1/3) ends on the next business day instead, as those guidelines say
  for 確報. 速報 is asked for 「速やかに」 (about 3–5 days) and follows the same counting.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from jikoflow.models.calendar import business_day_on_or_after, end_of_day
from jikoflow.models.enums import AppiReason, IncidentKind, Sector
from jikoflow.models.facts.schemas import AppiAssessment, Facts
from jikoflow.models.times import tokyo_day

PEOPLE_THRESHOLD = {Sector.PUBLIC: 100, Sector.PRIVATE: 1000}
PRELIMINARY_DAYS = 3
FINAL_DAYS = 30
FINAL_DAYS_IMPROPER_PURPOSE = 60
# 漏えい, 滅失 and 毀損 in the Act's words; a breach of the provisions is none of them.
PERSONAL_DATA_KINDS = frozenset(
    {IncidentKind.LEAK, IncidentKind.DESTRUCTION, IncidentKind.TAMPERING, IncidentKind.ERASURE}
)
_FLAGS = (
    ("sensitive", AppiReason.SENSITIVE),
    ("financial", AppiReason.FINANCIAL),
    ("improper_purpose", AppiReason.IMPROPER_PURPOSE),
)


def assess_appi(
    facts: Facts,
    *,
    kind: IncidentKind,
    learned_at: datetime | None,
    sector: Sector = Sector.PUBLIC,
) -> AppiAssessment:
    """Reportable or not, the reasons, and the 速報/確報 due dates once 甲 has learned of it."""
    threshold = PEOPLE_THRESHOLD[sector]
    reasons, unknown = _reasons(facts, threshold) if kind in PERSONAL_DATA_KINDS else ([], [])
    reportable = bool(reasons)
    preliminary = final = None
    if reportable and learned_at is not None:
        learned = tokyo_day(learned_at)
        final_days = FINAL_DAYS_IMPROPER_PURPOSE if facts.improper_purpose else FINAL_DAYS
        preliminary = due_day(learned, PRELIMINARY_DAYS)
        final = due_day(learned, final_days)
    return AppiAssessment(
        reportable=reportable,
        reasons=reasons,
        people_threshold=threshold,
        learned_at=learned_at,
        preliminary_due_on=preliminary,
        preliminary_due_at=end_of_day(preliminary) if preliminary else None,
        final_due_on=final,
        final_due_at=end_of_day(final) if final else None,
        unknown=unknown,
    )


def _reasons(facts: Facts, threshold: int) -> tuple[list[AppiReason], list[str]]:
    reasons: list[AppiReason] = []
    unknown: list[str] = []
    for field, reason in _FLAGS:
        value = getattr(facts, field)
        if value:
            reasons.append(reason)
        elif value is None:
            unknown.append(field)
    if facts.people is None:
        unknown.append("people")
    elif facts.people > threshold:
        reasons.append(
            AppiReason.PEOPLE_OVER_100 if threshold == 100 else AppiReason.PEOPLE_OVER_1000
        )
    if facts.my_number:
        reasons.append(AppiReason.MY_NUMBER)
    elif facts.my_number is None:
        unknown.append("my_number")
    return reasons, unknown


def due_day(learned: date, days: int) -> date:
    """The last day of a period of `days` calendar days after `learned`, moved off closed days."""
    return business_day_on_or_after(learned + timedelta(days=days))
