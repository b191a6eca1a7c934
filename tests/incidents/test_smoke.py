from tests.incidents.factories import make_service


async def test_create_and_walk_the_lifecycle(client, admin, db):
    service = await make_service(
        db, admin.org, "redis-prod", runbook_url="https://wiki.example.com/redis"
    )
    created = await client.post(
        "/api/v1/incidents/",
        headers=admin.headers,
        json={
            "title": "Redis Cluster Down",
            "service": str(service.id),
            "severity": "SEV1_CRITICAL",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    short = body["short_id"]
    ack = await client.post(
        f"/api/v1/incidents/{short}/acknowledge/",
        headers=admin.headers,
        json={"message": "Investigating"},
    )
    assert ack.status_code == 200, ack.text
    res = await client.post(
        f"/api/v1/incidents/{short}/resolve/",
        headers=admin.headers,
        json={"resolution_note": "ok", "root_cause": "mem"},
    )
    assert res.status_code == 200, res.text
    detail = await client.get(f"/api/v1/incidents/{short}/", headers=admin.headers)
    assert detail.status_code == 200, detail.text
    print(detail.json())
    lst = await client.get("/api/v1/incidents/?status=resolved", headers=admin.headers)
    assert lst.json()["count"] == 1
    csv = await client.get("/api/v1/incidents/?format=csv", headers=admin.headers)
    assert csv.status_code == 200
    print(csv.text)
