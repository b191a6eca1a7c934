"""Rows -> response models."""

from __future__ import annotations

from collections.abc import Sequence

from imas.telemetry.models import Rule, RuleSeriesState
from imas.telemetry.schemas import Matcher, RuleRead, SeriesStateRead
from imas.telemetry.service.evaluate import worst


def rule(row: Rule, states: Sequence[RuleSeriesState] = ()) -> RuleRead:
    return RuleRead(
        id=row.id,
        name=row.name,
        description=row.description,
        metric_name=row.metric_name,
        matchers=[Matcher.model_validate(m) for m in row.matchers],
        aggregation=row.aggregation,
        window=row.window_seconds,
        comparison=row.comparison,
        threshold=row.threshold,
        **{"for": row.for_seconds},
        severity=row.severity,
        labels=row.labels,
        annotations=row.annotations,
        enabled=row.enabled,
        interval=row.interval_seconds,
        state=worst([s.state for s in states]),
        series=[with_states(s) for s in states],
        next_evaluation_at=row.next_evaluation_at,
        last_evaluated_at=row.last_evaluated_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def with_states(state: RuleSeriesState) -> SeriesStateRead:
    return SeriesStateRead(
        labels=state.labels,
        state=state.state,
        active_since=state.active_since,
        fired_at=state.fired_at,
        value=state.last_value,
    )


def fill_states(items: Sequence[RuleRead], states: Sequence[RuleSeriesState]) -> None:
    by_rule: dict[object, list[RuleSeriesState]] = {}
    for state in states:
        by_rule.setdefault(state.rule_id, []).append(state)
    for item in items:
        mine = by_rule.get(item.id, [])
        item.series = [with_states(s) for s in mine]
        item.state = worst([s.state for s in mine])
