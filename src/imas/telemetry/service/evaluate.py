"""Evaluating an alert rule, with Prometheus' semantics per series.

The rule selects the series of its metric whose tags satisfy its matchers, aggregates each over
the last `window` and compares the value with the threshold. Each series (labels = its tags +
the rule's labels) moves through:

    inactive -> pending   the condition holds (`active_since` = now)
    pending  -> firing    it has held for `for` (at once when `for` is 0): the alert fires
    pending  -> inactive  it stopped holding before `for`
    firing   -> inactive  it stopped holding (or the series has no point in the window): the
                          alert resolves

Firing and resolving go through the alert intake (fingerprint = rule id + labels), so a firing
series opens one incident (grouped per rule) and its recovery resolves it. `evaluate` is pure
in its clock (`now` is given) and with `dry_run` changes nothing (the "test this rule" action).
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.telemetry import repository
from imas.telemetry.models import Aggregation, Rule, RuleSeriesState, RuleState, Series
from imas.telemetry.schemas import RuleTestResult, SeriesResult
from imas.telemetry.service import alerts
from imas.telemetry.service.aggregate import aggregate

MAX_RULE_SERIES = 1000
MAX_RULE_POINTS = 200_000

COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_RANK = {RuleState.INACTIVE: 0, RuleState.PENDING: 1, RuleState.FIRING: 2}


def matches(tags: dict[str, Any], matchers: list[dict[str, Any]]) -> bool:
    """Prometheus matchers: a missing tag is the empty string."""
    for m in matchers:
        actual = str(tags.get(m["tag"], ""))
        op, wanted = m["op"], str(m["value"])
        if op == "=" and actual != wanted:
            return False
        if op == "!=" and actual == wanted:
            return False
        if op == "=~" and not re.fullmatch(wanted, actual):
            return False
        if op == "!~" and re.fullmatch(wanted, actual):
            return False
    return True


def labels_of(rule: Rule, series: Series) -> dict[str, Any]:
    return {**series.tags, **rule.labels, "__name__": series.name}


def labels_hash(labels: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(labels, sort_keys=True, default=str).encode()).hexdigest()


def worst(states: list[str]) -> str:
    return max(states, key=lambda s: _RANK[RuleState(s)], default=RuleState.INACTIVE)


async def _values(
    session: AsyncSession, rule: Rule, now: datetime
) -> list[tuple[dict[str, Any], float | None]]:
    selection = repository.series_selection(name=rule.metric_name)
    found = await repository.series_list(session, selection, MAX_RULE_SERIES)
    chosen = {s.id: s for s in found if matches(s.tags, rule.matchers)}
    end_ms = int(now.timestamp() * 1000)
    start_ms = end_ms - rule.window_seconds * 1000
    values = await aggregate(
        session,
        list(chosen),
        start_ms,
        end_ms,
        None,
        Aggregation(rule.aggregation),
        MAX_RULE_POINTS,
    )
    return [(labels_of(rule, s), values.get((s.id, start_ms))) for s in chosen.values()]


async def evaluate(
    session: AsyncSession, rule: Rule, now: datetime, *, dry_run: bool = False
) -> RuleTestResult:
    compare = COMPARE[rule.comparison]
    current = {s.labels_hash: s for s in await repository.states(session, [rule.id])}
    results: list[SeriesResult] = []
    seen: set[str] = set()
    for labels, value in await _values(session, rule, now):
        digest = labels_hash(labels)
        seen.add(digest)
        met = value is not None and compare(value, rule.threshold)
        results.append(
            await _step(
                session, rule, current.get(digest), digest, labels, value, met, now, dry_run
            )
        )
    for digest, gone in current.items():  # series without points in the window: not met
        if digest not in seen:
            results.append(
                await _step(session, rule, gone, digest, gone.labels, None, False, now, dry_run)
            )
    if not dry_run:
        rule.last_evaluated_at = now
        await session.flush()
    return RuleTestResult(
        evaluated_at=now,
        condition=alerts.condition(rule),
        state=worst([r.state for r in results]),
        series=results,
    )


async def _step(
    session: AsyncSession,
    rule: Rule,
    state: RuleSeriesState | None,
    digest: str,
    labels: dict[str, Any],
    value: float | None,
    met: bool,
    now: datetime,
    dry_run: bool,
) -> SeriesResult:
    before = RuleState(state.state) if state else RuleState.INACTIVE
    since = state.active_since if state else None
    after = RuleState.INACTIVE
    if met:
        since = since if before != RuleState.INACTIVE and since else now
        held = now - since >= timedelta(seconds=rule.for_seconds)
        after = RuleState.FIRING if held else RuleState.PENDING
    else:
        since = None
    result = SeriesResult(
        labels=labels,
        value=value,
        condition_met=met,
        state=after,
        previous_state=before,
        active_since=since,
    )
    if dry_run:
        return result
    alert_labels = {k: v for k, v in labels.items() if k != "__name__"}
    alert_labels["metric"] = str(labels.get("__name__", rule.metric_name))
    if after == RuleState.FIRING and before != RuleState.FIRING:
        await alerts.report(session, rule, alert_labels, firing=True, value=value, at=now)
    elif before == RuleState.FIRING and after != RuleState.FIRING:
        await alerts.report(session, rule, alert_labels, firing=False, value=value, at=now)
    if after == RuleState.INACTIVE:
        if state is not None:
            await session.delete(state)
        return result
    if state is None:
        state = RuleSeriesState(rule_id=rule.id, labels_hash=digest, labels=labels)
        session.add(state)
    state.state, state.active_since, state.last_value = after, since, value
    if after == RuleState.FIRING and before != RuleState.FIRING:
        state.fired_at = now
    return result


async def resolve_all(session: AsyncSession, rule: Rule, now: datetime) -> None:
    """Resolve the alerts of the rule's firing series (the rule is deleted or disabled)."""
    for state in await repository.states(session, [rule.id]):
        if state.state == RuleState.FIRING:
            labels = {k: v for k, v in state.labels.items() if k != "__name__"}
            labels["metric"] = str(state.labels.get("__name__", rule.metric_name))
            await alerts.report(session, rule, labels, firing=False, value=None, at=now)
        await session.delete(state)
    await session.flush()
