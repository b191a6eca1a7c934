"""`/api/v1/metrics/` on a fixed set of incidents whose every figure is computed by hand below.

"Now" is Wednesday 2026-03-18 12:00 UTC. Services: api, db, idle (no incident). An SLA policy
gives SEV2 a 3-hour resolve target; the other severities use IMAS's defaults (SEV1 1 h, SEV3 2 h).

| incident | service | severity | status | created | detected before | ack after | resolved after |
|---|---|---|---|---|---|---|---|
| I1 | api | SEV1 | RESOLVED | Mon 03-16 12:00 (now-2d) | 60 s | 300 s | 3000 s (SLA met) |
| I2 | api | SEV2 | RESOLVED | Mon 03-09 12:00 (now-9d) | 120 s | 600 s | 7200 s (met: 3 h policy) |
| I3 | db | SEV3 | ACKNOWLEDGED | Sun 03-15 23:00 | 0 s | 900 s | - |
| I4 | db | SEV4 | TRIGGERED | Wed 03-18 09:00 (now-3h) | 300 s | - | - |
| I5 | api | SEV3 | RESOLVED | now-40d | 60 s | 100 s | 10000 s (missed: 2 h) |
| I6 | db | SEV1 | MITIGATED | Thu 02-26 12:00 (now-20d) | 30 s | 60 s | - |

and one incident of another organization, inside every period, that no figure may count.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from imas.db import Database
from imas.incidents.models import Incident, SlaPolicy
from tests.factories import make_actor
from tests.helpers import assert_error
from tests.incidents.factories import _in, make_service

NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)
_seq = itertools.count(1)


async def _incident(db, actor, service, severity, status, created, detected, ack=None, res=None):
    async with db.transaction() as session, _in(session, actor.org):
        session.add(
            Incident(
                organization_id=actor.org.id,
                short_id=f"INC-AN{next(_seq):04d}",
                title=f"{severity} on {service.name} {created.isoformat()}",
                severity=severity,
                status=status,
                service_id=service.id,
                detected_at=created - timedelta(seconds=detected),
                created_at=created,
                updated_at=created,
                acknowledged_at=created + timedelta(seconds=ack) if ack is not None else None,
                resolved_at=created + timedelta(seconds=res) if res is not None else None,
            )
        )


@pytest.fixture
async def data(db: Database, admin, monkeypatch):
    monkeypatch.setattr("imas.analytics.routes.utcnow", lambda: NOW)
    api = await make_service(db, admin.org, "api")
    dbs = await make_service(db, admin.org, "db")
    await make_service(db, admin.org, "idle")
    async with db.transaction() as session, _in(session, admin.org):
        session.add(
            SlaPolicy(
                organization_id=admin.org.id,
                severity="SEV2_HIGH",
                ack_seconds=900,
                resolve_seconds=10800,
            )
        )
    day = timedelta(days=1)
    await _incident(db, admin, api, "SEV1_CRITICAL", "RESOLVED", NOW - 2 * day, 60, 300, 3000)
    await _incident(db, admin, api, "SEV2_HIGH", "RESOLVED", NOW - 9 * day, 120, 600, 7200)
    sunday = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)
    await _incident(db, admin, dbs, "SEV3_MEDIUM", "ACKNOWLEDGED", sunday, 0, 900)
    await _incident(db, admin, dbs, "SEV4_LOW", "TRIGGERED", NOW - timedelta(hours=3), 300)
    await _incident(db, admin, api, "SEV3_MEDIUM", "RESOLVED", NOW - 40 * day, 60, 100, 10000)
    await _incident(db, admin, dbs, "SEV1_CRITICAL", "MITIGATED", NOW - 20 * day, 30, 60)
    stranger = await make_actor(db)
    theirs = await make_service(db, stranger.org, "api")
    await _incident(db, stranger, theirs, "SEV1_CRITICAL", "RESOLVED", NOW - day, 5, 5, 99999)


async def get(client, actor, path, **params):
    response = await client.get(f"/api/v1/metrics/{path}", headers=actor.headers, params=params)
    assert response.status_code == 200, response.text
    return response


class TestSummary:
    async def test_thirty_days(self, client, admin, data):
        body = (await get(client, admin, "summary/")).json()
        assert body == {
            "period": "30d",
            "total_incidents": 5,
            "open_incidents": 3,
            "resolved_incidents": 2,
            "avg_mttd_seconds": 102,  # (60 + 120 + 0 + 300 + 30) / 5
            "avg_mtta_seconds": 465,  # (300 + 600 + 900 + 60) / 4
            "avg_mttr_seconds": 5100,  # (3000 + 7200) / 2
            "incidents_by_severity": {
                "SEV1_CRITICAL": 2,
                "SEV2_HIGH": 1,
                "SEV3_MEDIUM": 1,
                "SEV4_LOW": 1,
            },
            "open": 1,
            "in_progress": 2,
            "closed": 2,
            "total": 5,
            "avg_mttr_minutes": 85.0,
            "sla_met_percentage": 100.0,
        }

    async def test_ninety_days_takes_the_older_incident_and_its_missed_sla(
        self, client, admin, data
    ):
        body = (await get(client, admin, "summary/", period="90d")).json()
        assert body["total_incidents"] == 6
        assert body["resolved_incidents"] == 3
        assert body["avg_mttd_seconds"] == 95  # 570 / 6
        assert body["avg_mtta_seconds"] == 392  # 1960 / 5
        assert body["avg_mttr_seconds"] == 6733  # 20200 / 3
        assert body["avg_mttr_minutes"] == 112.2
        assert body["sla_met_percentage"] == 66.7
        assert body["incidents_by_severity"]["SEV3_MEDIUM"] == 2

    async def test_seven_days(self, client, admin, data):
        body = (await get(client, admin, "summary/", period="7d")).json()
        assert (body["total"], body["open_incidents"], body["closed"]) == (3, 2, 1)
        assert body["avg_mttd_seconds"] == 120  # (60 + 0 + 300) / 3
        assert body["avg_mtta_seconds"] == 600  # (300 + 900) / 2
        assert body["avg_mttr_seconds"] == 3000

    async def test_no_incident_gives_zeros_and_no_averages(self, client, admin, monkeypatch):
        monkeypatch.setattr("imas.analytics.routes.utcnow", lambda: NOW)
        body = (await get(client, admin, "summary/")).json()
        assert body["total_incidents"] == 0
        assert body["avg_mttr_seconds"] is None
        assert body["sla_met_percentage"] is None
        assert set(body["incidents_by_severity"].values()) == {0}


async def test_trends_are_weekly_with_empty_weeks(client, admin, data):
    body = (await get(client, admin, "trends/")).json()
    assert body == {
        "period": "30d",
        "data": [
            {"date": "2026-02-16", "incidents": 0, "mttr_avg": None},
            {"date": "2026-02-23", "incidents": 1, "mttr_avg": None},
            {"date": "2026-03-02", "incidents": 0, "mttr_avg": None},
            {"date": "2026-03-09", "incidents": 2, "mttr_avg": 7200},  # I2 (Monday), I3 (Sunday)
            {"date": "2026-03-16", "incidents": 2, "mttr_avg": 3000},
        ],
    }


class TestByService:
    async def test_every_service_most_incidents_first(self, client, admin, data):
        results = (await get(client, admin, "by-service/")).json()["results"]
        assert [r["service"]["name"] for r in results] == ["db", "api", "idle"]
        db_, api, idle = results
        assert (api["total_incidents"], api["open_incidents"], api["resolved_incidents"]) == (
            2,
            0,
            2,
        )
        assert (api["avg_mtta_seconds"], api["avg_mttr_seconds"]) == (450, 5100)
        assert api["sla_met_percentage"] == 100.0
        assert db_["incidents_by_severity"] == {
            "SEV1_CRITICAL": 1,
            "SEV2_HIGH": 0,
            "SEV3_MEDIUM": 1,
            "SEV4_LOW": 1,
        }
        assert (db_["avg_mtta_seconds"], db_["avg_mttr_seconds"]) == (480, None)
        assert db_["sla_met_percentage"] is None
        assert idle["total_incidents"] == 0

    async def test_top_offenders_leave_out_services_without_incidents(self, client, admin, data):
        results = (await get(client, admin, "top-offenders/", limit=5)).json()["results"]
        assert [(r["service"]["name"], r["total_incidents"]) for r in results] == [
            ("db", 3),
            ("api", 2),
        ]
        [top] = (await get(client, admin, "top-offenders/", limit=1)).json()["results"]
        assert top["service"]["name"] == "db"

    async def test_csv_export(self, client, admin, data):
        response = await get(client, admin, "export/", format="csv", period="90d")
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [(r["Service"], r["Total Incidents"]) for r in rows] == [
            ("api", "3"),
            ("db", "3"),
            ("idle", "0"),
        ]
        assert rows[0]["SLA Met (%)"] == "66.7"
        assert rows[0]["SEV3_MEDIUM"] == "1"


class TestAccess:
    async def test_a_viewer_reads_them(self, client, db, admin, data):
        viewer = await make_actor(db, org=admin.org, role="viewer")
        assert (await get(client, viewer, "summary/")).json()["total"] == 5

    async def test_a_token_without_incident_read_is_refused(self, client, db, admin):
        limited = await make_actor(db, org=admin.org, scopes=["webhook:read"])
        response = await client.get("/api/v1/metrics/summary/", headers=limited.headers)
        assert_error(response, 403)

    async def test_anonymous_is_refused(self, client):
        assert_error(await client.get("/api/v1/metrics/summary/"), 401)

    @pytest.mark.parametrize("period", ["1d", "week", ""])
    async def test_an_unknown_period_is_a_400(self, client, admin, period):
        response = await client.get(
            "/api/v1/metrics/summary/", headers=admin.headers, params={"period": period}
        )
        assert_error(response, 400)
