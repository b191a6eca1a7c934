"""Every request example of seeds/imas-manager-api.md "Endpoints Incidents", replayed."""

from __future__ import annotations

import re

from tests.incidents.factories import make_incident

SHORT_ID = re.compile(r"^INC-[A-Z0-9]{6}$")


async def create_seed_incident(client, admin, redis, data_loss) -> dict:
    response = await client.post(
        "/api/v1/incidents/",
        headers=admin.headers,
        json={
            "title": "Redis Cluster Down",
            "description": "All nodes reporting connection timeout. Cluster unreachable.",
            "service": str(redis.id),
            "severity": "SEV1_CRITICAL",
            "impacted_scopes": [str(data_loss.id)],
            "detected_at": "2026-02-05T18:25:00Z",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


class TestCreate:
    async def test_created_answer_is_the_documented_one(self, client, admin, redis, data_loss):
        body = await create_seed_incident(client, admin, redis, data_loss)
        assert SHORT_ID.match(body["short_id"])
        assert body["title"] == "Redis Cluster Down"
        assert body["status"] == "TRIGGERED"
        assert body["war_room_link"] is None
        assert body["lid_link"] is None
        assert body["message"] == "Incident created. Orchestration in progress..."

    async def test_python_example_creates_then_lists_triggered(self, client, admin, redis):
        created = await client.post(
            "/api/v1/incidents/",
            headers={**admin.headers, "Content-Type": "application/json"},
            json={
                "title": "API Gateway Timeout",
                "description": "All requests timing out",
                "service": str(redis.id),
                "severity": "SEV1_CRITICAL",
            },
        )
        listed = await client.get(
            "/api/v1/incidents/", headers=admin.headers, params={"status": "triggered"}
        )
        assert [i["short_id"] for i in listed.json()["results"]] == [created.json()["short_id"]]

    async def test_severity_defaults_to_sev3_and_detection_to_now(self, client, admin, redis):
        response = await client.post(
            "/api/v1/incidents/",
            headers=admin.headers,
            json={"title": "Disk filling", "service": str(redis.id)},
        )
        body = response.json()
        assert body["severity"] == "SEV3_MEDIUM"
        assert body["detected_at"] == body["created_at"]
        assert body["kpis"]["mttd_seconds"] == 0


class TestDetail:
    async def test_detail_has_every_documented_field(
        self, client, admin, redis, data_loss, sre_team
    ):
        created = await create_seed_incident(client, admin, redis, data_loss)
        response = await client.get(f"/api/v1/incidents/{created['id']}/", headers=admin.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["short_id"] == created["short_id"]
        assert body["description"] == "All nodes reporting connection timeout. Cluster unreachable."
        assert body["severity"] == "SEV1_CRITICAL"
        assert body["severity_display"] == "SEV1 - Critical"
        assert body["status"] == "TRIGGERED"
        assert body["status_display"] == "Triggered"
        assert body["service"] == {
            "id": str(redis.id),
            "name": "redis-prod",
            "owner_team": {"id": str(sre_team.id), "name": "SRE Core"},
            "runbook_url": "https://wiki.example.com/redis-recovery",
            "criticality": "TIER_1_CRITICAL",
        }
        assert body["impacted_scopes"] == [{"id": str(data_loss.id), "name": "Data Loss Risk"}]
        assert body["lead"] == {
            "id": str(admin.user.id),
            "username": admin.user.username,
            "email": admin.user.email,
        }
        assert body["detected_at"] == "2026-02-05T18:25:00Z"
        assert body["acknowledged_at"] is None
        assert body["resolved_at"] is None
        assert body["kpis"]["mtta_seconds"] is None
        assert body["kpis"]["mttr_seconds"] is None
        assert body["kpis"]["mttd_seconds"] > 0
        [entry] = body["timeline"]
        assert entry["type"] == "STATUS_CHANGE"
        assert entry["message"] == "Incident created"
        assert entry["timestamp"].endswith("Z")
        assert body["priority"] == "P1"
        assert body["sla_seconds"] == 3600
        for extra in (
            "assigned_team",
            "assigned_user",
            "affected_systems",
            "tags",
            "updated_at",
            "sla_status",
            "itsm_ticket_id",
        ):
            assert extra in body

    async def test_short_id_works_in_paths_in_any_case(self, client, admin, redis, data_loss):
        created = await create_seed_incident(client, admin, redis, data_loss)
        for ref in (created["short_id"], created["short_id"].lower()):
            response = await client.get(f"/api/v1/incidents/{ref}/", headers=admin.headers)
            assert response.status_code == 200
            assert response.json()["id"] == created["id"]


class TestListExample:
    async def test_documented_filter_and_item_fields(self, client, admin, db, redis):
        wanted = await make_incident(
            db,
            admin.org,
            admin.user,
            redis,
            title="Redis Cluster Down",
            severity="SEV1_CRITICAL",
            description="Connection timeout on all nodes",
        )
        await make_incident(db, admin.org, admin.user, redis, severity="SEV2_HIGH")
        response = await client.get(
            "/api/v1/incidents/?status=triggered&severity=SEV1_CRITICAL", headers=admin.headers
        )
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        assert body["next"] is None
        assert body["previous"] is None
        [item] = body["results"]
        assert item["id"] == str(wanted.id)
        assert item["short_id"] == wanted.short_id
        assert item["title"] == "Redis Cluster Down"
        assert item["description"] == "Connection timeout on all nodes"
        assert item["status"] == "TRIGGERED"
        assert item["service"] == {"id": str(redis.id), "name": "redis-prod"}
        assert item["lead"]["id"] == str(admin.user.id)
        assert item["lead"]["username"] == admin.user.username
        assert item["created_at"].endswith("Z")
        assert item["acknowledged_at"] is None
        assert item["resolved_at"] is None


class TestActionsAsInTheCurlExamples:
    async def test_acknowledge_by_short_id(self, client, admin, redis, data_loss):
        created = await create_seed_incident(client, admin, redis, data_loss)
        response = await client.post(
            f"/api/v1/incidents/{created['short_id']}/acknowledge/",
            headers={**admin.headers, "Content-Type": "application/json"},
            json={"message": "Investigating"},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == created["id"]
        assert body["status"] == "ACKNOWLEDGED"
        assert body["acknowledged_at"].endswith("Z")
        assert body["acknowledged_by"]["id"] == str(admin.user.id)
        assert body["acknowledged_by"]["username"] == admin.user.username
        assert body["message"] == "Incident acknowledged successfully"

    async def test_acknowledge_without_a_body(self, client, admin, redis, data_loss):
        created = await create_seed_incident(client, admin, redis, data_loss)
        response = await client.post(
            f"/api/v1/incidents/{created['id']}/acknowledge/", headers=admin.headers
        )
        assert response.status_code == 200

    async def test_resolve_with_note_and_root_cause(self, client, admin, redis, data_loss):
        created = await create_seed_incident(client, admin, redis, data_loss)
        response = await client.post(
            f"/api/v1/incidents/{created['short_id']}/resolve/",
            headers=admin.headers,
            json={
                "resolution_note": "Increased pool size, monitoring",
                "root_cause": "Unexpected traffic spike",
            },
        )
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "RESOLVED"
        assert body["resolved_at"].endswith("Z")
        assert body["resolved_by"]["username"] == admin.user.username
        assert set(body["kpis"]) == {"mttd_seconds", "mtta_seconds", "mttr_seconds"}
        detail = (
            await client.get(f"/api/v1/incidents/{created['id']}/", headers=admin.headers)
        ).json()
        assert detail["resolution_note"] == "Increased pool size, monitoring"
        assert detail["root_cause"] == "Unexpected traffic spike"


class TestCommentsAndTags:
    async def test_add_then_list_comments(self, client, admin, redis, data_loss):
        created = await create_seed_incident(client, admin, redis, data_loss)
        url = f"/api/v1/incidents/{created['id']}/comments/"
        added = await client.post(
            url,
            headers=admin.headers,
            json={"content": "Failover completed, monitoring recovery.", "comment_type": "update"},
        )
        assert added.status_code == 201
        assert added.json()["author"]["username"] == admin.user.username
        listed = (await client.get(url, headers=admin.headers)).json()
        assert listed["count"] == 1
        assert listed["results"][0]["content"] == "Failover completed, monitoring recovery."
        assert listed["results"][0]["comment_type"] == "update"
        timeline = (
            await client.get(f"/api/v1/incidents/{created['id']}/", headers=admin.headers)
        ).json()["timeline"]
        assert [e["type"] for e in timeline] == ["STATUS_CHANGE", "COMMENT"]

    async def test_add_tags_creates_unknown_ones(self, client, admin, redis, data_loss):
        created = await create_seed_incident(client, admin, redis, data_loss)
        response = await client.post(
            f"/api/v1/incidents/{created['id']}/tags/",
            headers=admin.headers,
            json={"tags": ["postmortem-required", "customer-impact"]},
        )
        assert response.status_code == 200
        assert response.json()["tags"] == ["customer-impact", "postmortem-required"]
        detail = (
            await client.get(f"/api/v1/incidents/{created['id']}/", headers=admin.headers)
        ).json()
        assert detail["tags"] == ["customer-impact", "postmortem-required"]
        assert [e["type"] for e in detail["timeline"]].count("TAG_ADDED") == 2
