"""SLA targets per severity, the status they give an incident, and priority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from imas.incidents.models import Incident
from imas.incidents.sla import DEFAULT_TARGETS, SlaStatus, Targets, priority, sla_status
from tests.factories import make_actor
from tests.helpers import assert_error
from tests.incidents.factories import make_incident, make_service

T0 = datetime(2026, 2, 5, 18, 30, tzinfo=UTC)
TARGETS = Targets(ack_seconds=300, resolve_seconds=3600)


class TestSlaStatus:
    def test_pending_while_within_both_targets(self):
        assert sla_status(TARGETS, T0, None, None, T0 + timedelta(seconds=299)) == SlaStatus.PENDING

    def test_breached_when_nobody_acknowledged_in_time(self):
        assert (
            sla_status(TARGETS, T0, None, None, T0 + timedelta(seconds=301)) == SlaStatus.BREACHED
        )

    def test_breached_when_acknowledged_late_even_if_resolved_in_time(self):
        acked, resolved = T0 + timedelta(minutes=6), T0 + timedelta(minutes=30)
        assert (
            sla_status(TARGETS, T0, acked, resolved, T0 + timedelta(days=1)) == SlaStatus.BREACHED
        )

    def test_met_when_both_were_in_time(self):
        acked, resolved = T0 + timedelta(minutes=4), T0 + timedelta(minutes=59)
        assert sla_status(TARGETS, T0, acked, resolved, T0 + timedelta(days=1)) == SlaStatus.MET

    def test_breached_when_resolved_late(self):
        acked, resolved = T0 + timedelta(minutes=1), T0 + timedelta(minutes=61)
        assert (
            sla_status(TARGETS, T0, acked, resolved, T0 + timedelta(days=1)) == SlaStatus.BREACHED
        )


class TestPriority:
    @pytest.mark.parametrize(
        ("severity", "criticality", "expected"),
        [
            ("SEV1_CRITICAL", "TIER_1_CRITICAL", "P1"),
            ("SEV2_HIGH", "TIER_1_CRITICAL", "P1"),
            ("SEV2_HIGH", "TIER_2_HIGH", "P2"),
            ("SEV3_MEDIUM", "TIER_3_MEDIUM", "P3"),
            ("SEV4_LOW", "TIER_3_MEDIUM", "P4"),
            ("SEV4_LOW", "TIER_4_LOW", "P5"),
            ("SEV1_CRITICAL", "TIER_4_LOW", "P2"),
        ],
    )
    def test_severity_shifted_by_service_tier(self, severity, criticality, expected):
        assert priority(severity, criticality) == expected


class TestPolicies:
    async def test_defaults_are_listed(self, client, admin):
        body = (await client.get("/api/v1/sla-policies/", headers=admin.headers)).json()
        assert [p["severity"] for p in body] == [
            "SEV1_CRITICAL",
            "SEV2_HIGH",
            "SEV3_MEDIUM",
            "SEV4_LOW",
        ]
        assert all(p["is_default"] for p in body)
        medium = next(p for p in body if p["severity"] == "SEV3_MEDIUM")
        assert medium["resolve_seconds"] == DEFAULT_TARGETS["SEV3_MEDIUM"].resolve_seconds == 7200

    async def test_admin_sets_a_policy_and_incidents_follow_it(self, client, admin, db):
        service = await make_service(db, admin.org)
        incident = await make_incident(db, admin.org, admin.user, service, severity="SEV2_HIGH")
        response = await client.put(
            "/api/v1/sla-policies/SEV2_HIGH/",
            headers=admin.headers,
            json={"ack_seconds": 120, "resolve_seconds": 1200},
        )
        assert response.status_code == 200
        assert response.json() == {
            "severity": "SEV2_HIGH",
            "ack_seconds": 120,
            "resolve_seconds": 1200,
            "is_default": False,
        }
        body = (await client.get(f"/api/v1/incidents/{incident.id}/", headers=admin.headers)).json()
        assert body["sla_seconds"] == 1200
        assert body["sla_ack_seconds"] == 120
        again = await client.put(
            "/api/v1/sla-policies/SEV2_HIGH/",
            headers=admin.headers,
            json={"ack_seconds": 60, "resolve_seconds": 600},
        )
        assert again.json()["resolve_seconds"] == 600

    async def test_policies_are_per_organization(self, client, admin, outsider):
        await client.put(
            "/api/v1/sla-policies/SEV1_CRITICAL/",
            headers=admin.headers,
            json={"ack_seconds": 60, "resolve_seconds": 600},
        )
        theirs = (await client.get("/api/v1/sla-policies/", headers=outsider.headers)).json()
        assert next(p for p in theirs if p["severity"] == "SEV1_CRITICAL")["is_default"]

    async def test_only_admins_and_sane_values(self, client, db, admin):
        responder = await make_actor(db, org=admin.org, role="responder")
        assert_error(
            await client.put(
                "/api/v1/sla-policies/SEV1_CRITICAL/",
                headers=responder.headers,
                json={"ack_seconds": 60, "resolve_seconds": 600},
            ),
            403,
            "permission_denied",
        )
        body = assert_error(
            await client.put(
                "/api/v1/sla-policies/SEV1_CRITICAL/",
                headers=admin.headers,
                json={"ack_seconds": 600, "resolve_seconds": 300},
            ),
            400,
            "validation_error",
        )
        assert "resolve_seconds" in body["details"]
        assert_error(
            await client.put(
                "/api/v1/sla-policies/SEV9/",
                headers=admin.headers,
                json={"ack_seconds": 60, "resolve_seconds": 600},
            ),
            400,
            "validation_error",
        )

    async def test_an_old_unacknowledged_incident_is_breached(self, client, admin, db):
        service = await make_service(db, admin.org)
        incident = await make_incident(db, admin.org, admin.user, service, severity="SEV1_CRITICAL")
        fresh = (
            await client.get(f"/api/v1/incidents/{incident.id}/", headers=admin.headers)
        ).json()
        assert fresh["sla_status"] == "Pending"
        async with db.transaction() as session:
            await session.execute(
                update(Incident)
                .where(Incident.id == incident.id)
                .values(created_at=datetime.now(UTC) - timedelta(hours=2))
                .execution_options(all_orgs=True)
            )
        old = (await client.get(f"/api/v1/incidents/{incident.id}/", headers=admin.headers)).json()
        assert old["sla_status"] == "Breached"
