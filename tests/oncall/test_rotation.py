"""Who is on call, computed: daily and weekly hand-offs keep their local wall time across both
DST changes of Europe/Paris (2026-03-29 and 2026-10-25), hour-based rotations count elapsed
time, a higher layer wins once it has someone, the latest override wins."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from imas.oncall.rotation import Override, Rotation, on_call, rotation_shift

PARIS = ZoneInfo("Europe/Paris")
A, B, C = (uuid.UUID(int=n) for n in (1, 2, 3))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def daily(start: date, people=(A, B, C), handoff=time(9, 0), position=0, days=1) -> Rotation:
    return Rotation(uuid.uuid4(), position, start, handoff, days, "days", list(people))


class TestDailyAcrossSpringForward:
    # 2026-03-29 02:00 CET -> 03:00 CEST: 09:00 local is 08:00Z before, 07:00Z after.
    rotation = daily(date(2026, 3, 27))

    @pytest.mark.parametrize(
        ("at", "who"),
        [
            ("2026-03-27T08:00:00", A),  # the first hand-off, 09:00 CET
            ("2026-03-28T07:59:59", A),
            ("2026-03-28T08:00:00", B),  # 09:00 CET
            ("2026-03-29T06:59:59", B),  # 08:59:59 CEST
            ("2026-03-29T07:00:00", C),  # 09:00 CEST: the hand-off keeps local time
            ("2026-03-29T07:30:00", C),  # a UTC-24h rotation would still say B here
            ("2026-03-30T07:00:00", A),
        ],
    )
    def test_the_hand_off_stays_at_nine_local(self, at, who):
        shift = rotation_shift(self.rotation, PARIS, utc(at))
        assert shift is not None
        assert shift.user_id == who

    def test_the_shift_over_the_change_lasts_23_hours(self):
        shift = rotation_shift(self.rotation, PARIS, utc("2026-03-28T12:00:00"))
        assert shift.start == utc("2026-03-28T08:00:00")
        assert shift.end == utc("2026-03-29T07:00:00")
        assert shift.end - shift.start == timedelta(hours=23)
        assert shift.start.astimezone(PARIS).hour == shift.end.astimezone(PARIS).hour == 9


class TestDailyAcrossFallBack:
    # 2026-10-25 03:00 CEST -> 02:00 CET: 09:00 local is 07:00Z before, 08:00Z after.
    rotation = daily(date(2026, 10, 23))

    @pytest.mark.parametrize(
        ("at", "who"),
        [
            ("2026-10-23T07:00:00", A),
            ("2026-10-24T07:00:00", B),
            ("2026-10-25T07:30:00", B),  # 08:30 CET: still B's shift
            ("2026-10-25T07:59:59", B),
            ("2026-10-25T08:00:00", C),  # 09:00 CET
            ("2026-10-26T08:00:00", A),
        ],
    )
    def test_the_hand_off_stays_at_nine_local(self, at, who):
        assert rotation_shift(self.rotation, PARIS, utc(at)).user_id == who

    def test_the_shift_over_the_change_lasts_25_hours(self):
        shift = rotation_shift(self.rotation, PARIS, utc("2026-10-25T00:00:00"))
        assert (shift.start, shift.end) == (utc("2026-10-24T07:00:00"), utc("2026-10-25T08:00:00"))


class TestWeekly:
    def test_a_week_counted_in_local_days_spans_167_hours_over_spring_forward(self):
        rotation = daily(date(2026, 3, 23), people=(A, B), days=7)  # Monday 09:00 CET
        shift = rotation_shift(rotation, PARIS, utc("2026-03-29T12:00:00"))
        assert (shift.user_id, shift.start, shift.end) == (
            A,
            utc("2026-03-23T08:00:00"),
            utc("2026-03-30T07:00:00"),
        )
        assert rotation_shift(rotation, PARIS, utc("2026-03-30T07:00:00")).user_id == B
        assert rotation_shift(rotation, PARIS, utc("2026-04-06T07:00:00")).user_id == A

    def test_shifts_are_contiguous_over_a_whole_year(self):
        rotation = daily(date(2026, 1, 5), handoff=time(2, 30), days=7)  # 02:30 can not exist
        at = utc("2026-01-05T02:00:00")
        shift = rotation_shift(rotation, PARIS, at)
        for _ in range(52):
            following = rotation_shift(rotation, PARIS, shift.end)
            assert following.start == shift.end
            assert following.end > following.start
            shift = following


class TestHours:
    def test_hour_rotations_count_elapsed_time_across_a_dst_change(self):
        rotation = Rotation(uuid.uuid4(), 0, date(2026, 3, 28), time(21, 0), 12, "hours", [A, B])
        # 21:00 CET = 20:00Z; 12 h later is 08:00Z = 10:00 CEST (not 09:00 local).
        shift = rotation_shift(rotation, PARIS, utc("2026-03-29T07:59:00"))
        assert (shift.user_id, shift.start, shift.end) == (
            A,
            utc("2026-03-28T20:00:00"),
            utc("2026-03-29T08:00:00"),
        )
        assert rotation_shift(rotation, PARIS, utc("2026-03-29T08:00:00")).user_id == B


class TestBeforeTheStart:
    def test_nobody_before_the_first_hand_off(self):
        rotation = daily(date(2026, 3, 27))
        assert rotation_shift(rotation, PARIS, utc("2026-03-27T07:59:59")) is None


class TestLayersAndOverrides:
    base = daily(date(2026, 3, 1), people=(A,), position=0)
    top = daily(date(2026, 3, 10), people=(B,), position=1)

    def test_the_lower_layer_covers_until_the_higher_one_starts(self):
        at = utc("2026-03-05T12:00:00")
        shift = on_call(PARIS, [self.top, self.base], [], at)
        assert (shift.user_id, shift.layer_id) == (A, self.base.layer_id)

    def test_a_higher_layer_wins_where_it_has_someone(self):
        shift = on_call(PARIS, [self.base, self.top], [], utc("2026-03-12T12:00:00"))
        assert (shift.user_id, shift.layer_id) == (B, self.top.layer_id)

    def test_an_override_wins_while_it_lasts_and_the_last_made_wins(self):
        first = Override(uuid.uuid4(), C, utc("2026-03-12T10:00:00"), utc("2026-03-12T14:00:00"))
        second = Override(uuid.uuid4(), A, utc("2026-03-12T13:00:00"), utc("2026-03-12T15:00:00"))
        layers = [self.base, self.top]
        assert on_call(PARIS, layers, [first, second], utc("2026-03-12T11:00:00")).user_id == C
        late = on_call(PARIS, layers, [first, second], utc("2026-03-12T13:30:00"))
        assert (late.user_id, late.override_id, late.end) == (
            A,
            second.override_id,
            utc("2026-03-12T15:00:00"),
        )
        assert on_call(PARIS, layers, [first, second], utc("2026-03-12T15:00:00")).user_id == B

    def test_nobody_when_no_layer_has_started(self):
        assert on_call(PARIS, [self.top], [], utc("2026-03-01T12:00:00")) is None
