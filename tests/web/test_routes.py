"""The dashboard's routes through an HTTP client: login and its cookie, pages behind it, CSRF,
tenancy, and the live fragments."""

from __future__ import annotations

import httpx
import pytest

from imas.db import Database
from imas.web.session import SESSION_COOKIE
from tests.factories import Actor, make_actor
from tests.incidents.factories import make_service, make_team
from tests.web.helpers import csrf_of, log_in, open_incident

PAGES = ["/incidents", "/services", "/teams", "/alerts", "/analytics"]


async def _status(client: httpx.AsyncClient, actor: Actor, short_id: str) -> str:
    response = await client.get(f"/api/v1/incidents/{short_id}/", headers=actor.headers)
    return str(response.json()["status"])


class TestLogin:
    async def test_the_form_sets_an_httponly_lax_session_cookie(self, client, admin):
        response = await log_in(client, admin)
        assert response.headers["location"] == "/incidents"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Path=/" in cookie
        page = await client.get("/incidents")
        assert page.status_code == 200
        assert admin.user.username in page.text

    async def test_an_email_address_logs_in_too(self, client, admin):
        response = await client.post(
            "/login", data={"login": admin.user.email, "password": admin.password}
        )
        assert response.status_code == 303

    async def test_it_returns_to_the_page_asked_for_but_never_off_site(self, client, admin):
        form = {"login": admin.user.username, "password": admin.password}
        back = await client.post("/login", data={**form, "next": "/alerts?status=firing"})
        assert back.headers["location"] == "/alerts?status=firing"
        away = await client.post("/login", data={**form, "next": "//evil.example/"})
        assert away.headers["location"] == "/incidents"

    async def test_a_wrong_password_shows_an_error_and_sets_no_cookie(self, client, admin):
        response = await client.post(
            "/login", data={"login": admin.user.username, "password": "wrong"}
        )
        assert response.status_code == 401
        assert "The username or password is incorrect." in response.text
        assert "set-cookie" not in response.headers
        assert 'value="' + admin.user.username + '"' in response.text  # kept for the retry

    async def test_a_post_from_another_site_is_refused(self, client, admin):
        response = await client.post(
            "/login",
            data={"login": admin.user.username, "password": admin.password},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status_code == 403
        assert "set-cookie" not in response.headers

    async def test_logout_ends_the_session(self, client, admin):
        await log_in(client, admin)
        token = client.cookies[SESSION_COOKIE]
        csrf = await csrf_of(client)
        response = await client.post("/logout", data={"csrf_token": csrf})
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert (await client.get("/incidents")).status_code == 303
        # The token itself is dead, not just forgotten by the browser.
        client.cookies.set(SESSION_COOKIE, token)
        assert (await client.get("/incidents")).status_code == 303

    async def test_logout_needs_the_csrf_token(self, client, admin):
        await log_in(client, admin)
        assert (await client.post("/logout", data={})).status_code == 403
        assert (await client.get("/incidents")).status_code == 200


class TestPagesNeedALogin:
    @pytest.mark.parametrize("path", [*PAGES, "/incidents/INC-AAAAAA", "/logout"])
    async def test_anonymous_visitors_are_sent_to_the_login_page(self, client, path):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=%2F")

    async def test_the_home_page_sends_to_login_or_incidents(self, client, admin):
        assert (await client.get("/")).headers["location"] == "/login"
        await log_in(client, admin)
        assert (await client.get("/")).headers["location"] == "/incidents"

    async def test_a_bad_cookie_counts_as_no_login(self, client):
        client.cookies.set(SESSION_COOKIE, "not.a.jwt")
        assert (await client.get("/incidents")).status_code == 303

    async def test_an_api_token_in_the_cookie_is_not_a_session(self, client, admin):
        client.cookies.set(SESSION_COOKIE, admin.token)
        assert (await client.get("/incidents")).status_code == 303

    async def test_a_live_fragment_answers_401_for_its_script(self, client):
        response = await client.get("/incidents/_rows", headers={"X-IMAS-Fragment": "1"})
        assert response.status_code == 401

    async def test_the_pages_stay_out_of_the_api_schema(self, client):
        paths = (await client.get("/api/schema/")).json()["paths"]
        assert not [p for p in paths if not p.startswith(("/api/", "/health", "/metrics"))]


class TestPages:
    async def test_every_page_renders_with_data(self, client, db: Database, admin):
        team = await make_team(db, admin.org, "payments-team")
        service = await make_service(db, admin.org, "payments", owner_team=team)
        await open_incident(client, admin, service.id, "Card payments failing")
        await log_in(client, admin)
        for path in PAGES:
            page = await client.get(path)
            assert page.status_code == 200, (path, page.text)
            assert page.text.count("<h1") == 1, path
            assert 'aria-current="page"' in page.text
        assert "Card payments failing" in (await client.get("/incidents")).text
        assert "payments-team" in (await client.get("/services")).text
        assert "<svg" in (await client.get("/analytics?period=1y")).text

    async def test_the_list_filters_by_status_service_and_text(self, client, db, admin):
        one = await make_service(db, admin.org, "one")
        two = await make_service(db, admin.org, "two")
        first = await open_incident(client, admin, one.id, "Disk full on db-1")
        second = await open_incident(client, admin, two.id, "Latency on edge")
        await client.post(f"/api/v1/incidents/{second}/acknowledge/", headers=admin.headers)
        await log_in(client, admin)

        async def shown(query: str) -> set[str]:
            text = (await client.get(f"/incidents?{query}")).text
            return {s for s in (first, second) if f'data-incident="{s}"' in text}

        assert await shown("") == {first, second}
        assert await shown("status=triggered") == {first}
        assert await shown(f"service={two.id}") == {second}
        assert await shown("q=disk") == {first}
        assert await shown("severity=SEV4_LOW") == set()
        assert await shown("status=bogus&service=nope&page=x") == {first, second}

    async def test_the_list_pages_through_newest_first(self, client, db, admin):
        service = await make_service(db, admin.org, "busy")
        ids = [await open_incident(client, admin, service.id, f"Outage {n}") for n in range(27)]
        await log_in(client, admin)
        first = (await client.get("/incidents")).text
        assert "1\u201325 of 27" in first
        assert first.index(ids[-1]) < first.index(ids[-2])
        second = (await client.get("/incidents?page=2")).text
        assert ids[0] in second
        assert ids[-1] not in second

    async def test_teams_show_who_is_on_call(self, client, db, admin):
        colleague = await make_actor(db, org=admin.org, role="responder", username="oncaller")
        created = await client.post(
            "/api/v1/teams/",
            headers=admin.headers,
            json={"name": "sre", "current_on_call": str(colleague.user.id)},
        )
        assert created.status_code == 201, created.text
        await log_in(client, admin)
        page = (await client.get("/teams")).text
        assert "sre" in page
        assert '<span class="oncall">oncaller</span>' in page

    async def test_a_viewer_sees_no_action_buttons_and_may_not_post(self, client, db, admin):
        service = await make_service(db, admin.org, "svc")
        short_id = await open_incident(client, admin, service.id, "Watched only")
        viewer = await make_actor(db, org=admin.org, role="viewer")
        await log_in(client, viewer)
        page = await client.get(f"/incidents/{short_id}")
        assert page.status_code == 200
        assert "Acknowledge</button>" not in page.text
        csrf = await csrf_of(client)
        refused = await client.post(f"/incidents/{short_id}/acknowledge", data={"csrf_token": csrf})
        assert refused.status_code == 403
        assert await _status(client, admin, short_id) == "TRIGGERED"


class TestActions:
    async def test_acknowledge_mitigate_resolve_through_the_forms(self, client, db, admin):
        service = await make_service(db, admin.org, "svc")
        short_id = await open_incident(client, admin, service.id, "Queue backlog")
        await log_in(client, admin)
        csrf = await csrf_of(client, f"/incidents/{short_id}")
        for action, status in [
            ("acknowledge", "ACKNOWLEDGED"),
            ("mitigate", "MITIGATED"),
            ("resolve", "RESOLVED"),
        ]:
            response = await client.post(
                f"/incidents/{short_id}/{action}",
                data={"csrf_token": csrf, "resolution_note": "restarted"},
            )
            assert response.status_code == 303
            assert response.headers["location"] == f"/incidents/{short_id}"
            assert await _status(client, admin, short_id) == status
        page = (await client.get(f"/incidents/{short_id}")).text
        assert f"Acknowledged by {admin.user.username}" in page
        assert "Resolved by" in page
        assert "restarted" in page

    async def test_a_change_no_longer_possible_comes_back_with_a_notice(self, client, db, admin):
        service = await make_service(db, admin.org, "svc")
        short_id = await open_incident(client, admin, service.id, "Twice")
        await log_in(client, admin)
        csrf = await csrf_of(client)
        await client.post(f"/incidents/{short_id}/acknowledge", data={"csrf_token": csrf})
        again = await client.post(f"/incidents/{short_id}/acknowledge", data={"csrf_token": csrf})
        assert again.headers["location"] == f"/incidents/{short_id}?error=transition"
        page = await client.get(again.headers["location"])
        assert "not possible from the incident&#39;s current status" in page.text

    async def test_a_comment_is_added_and_shown(self, client, db, admin):
        service = await make_service(db, admin.org, "svc")
        short_id = await open_incident(client, admin, service.id, "Talk")
        await log_in(client, admin)
        csrf = await csrf_of(client)
        response = await client.post(
            f"/incidents/{short_id}/comments",
            data={"csrf_token": csrf, "content": "Rolled back <b>v2</b>"},
        )
        assert response.status_code == 303
        page = (await client.get(f"/incidents/{short_id}")).text
        assert "Rolled back &lt;b&gt;v2&lt;/b&gt;" in page
        comments = await client.get(
            f"/api/v1/incidents/{short_id}/comments/", headers=admin.headers
        )
        assert [c["content"] for c in comments.json()["results"]] == ["Rolled back <b>v2</b>"]

    async def test_an_empty_comment_is_refused_with_a_notice(self, client, db, admin):
        service = await make_service(db, admin.org, "svc")
        short_id = await open_incident(client, admin, service.id, "Quiet")
        await log_in(client, admin)
        csrf = await csrf_of(client)
        response = await client.post(
            f"/incidents/{short_id}/comments", data={"csrf_token": csrf, "content": "  "}
        )
        assert response.headers["location"].endswith("?error=comment")

    @pytest.mark.parametrize("token", [None, "", "0" * 64])
    async def test_a_form_without_the_right_csrf_token_is_refused(self, client, db, admin, token):
        service = await make_service(db, admin.org, "svc")
        short_id = await open_incident(client, admin, service.id, "Guarded")
        await log_in(client, admin)
        data = {} if token is None else {"csrf_token": token}
        response = await client.post(f"/incidents/{short_id}/acknowledge", data=data)
        assert response.status_code == 403
        assert "CSRF check failed" in response.text
        assert await _status(client, admin, short_id) == "TRIGGERED"

    async def test_another_sessions_csrf_token_is_refused(self, client, app, db, admin):
        service = await make_service(db, admin.org, "svc")
        short_id = await open_incident(client, admin, service.id, "Guarded")
        await log_in(client, admin)
        old = await csrf_of(client)
        await log_in(client, admin)  # a new session
        response = await client.post(f"/incidents/{short_id}/acknowledge", data={"csrf_token": old})
        assert response.status_code == 403


class TestTenancy:
    async def test_another_organizations_incident_is_a_404_page(self, client, db, admin, outsider):
        theirs = await make_service(db, outsider.org, "theirs")
        short_id = await open_incident(client, outsider, theirs.id, "Their secret outage")
        await log_in(client, admin)
        for path in (f"/incidents/{short_id}", f"/incidents/{short_id}/live"):
            page = await client.get(path)
            assert page.status_code == 404
            assert "text/html" in page.headers["content-type"]
            assert "Their secret outage" not in page.text
        csrf = await csrf_of(client)
        acted = await client.post(f"/incidents/{short_id}/acknowledge", data={"csrf_token": csrf})
        assert acted.status_code == 404
        assert await _status(client, outsider, short_id) == "TRIGGERED"

    async def test_lists_show_only_the_viewers_organization(self, client, db, admin, outsider):
        theirs = await make_service(db, outsider.org, "their-service")
        await open_incident(client, outsider, theirs.id, "Their outage")
        await log_in(client, admin)
        for path in ("/incidents", "/services", "/analytics?period=1y"):
            text = (await client.get(path)).text
            assert "Their outage" not in text, path
            assert "their-service" not in text, path


class TestFragments:
    async def test_the_rows_fragment_is_the_results_alone(self, client, db, admin):
        service = await make_service(db, admin.org, "svc")
        short_id = await open_incident(client, admin, service.id, "Fragmented")
        await log_in(client, admin)
        rows = await client.get(
            "/incidents/_rows?status=triggered,acknowledged,mitigated",
            headers={"X-IMAS-Fragment": "1"},
        )
        assert rows.status_code == 200
        assert f'data-incident="{short_id}"' in rows.text
        assert "<html" not in rows.text

    async def test_the_incident_fragment_carries_status_and_timeline(self, client, db, admin):
        service = await make_service(db, admin.org, "svc")
        short_id = await open_incident(client, admin, service.id, "Live one")
        await client.post(f"/api/v1/incidents/{short_id}/acknowledge/", headers=admin.headers)
        await log_in(client, admin)
        live = await client.get(f"/incidents/{short_id}/live")
        assert 'data-status="ACKNOWLEDGED"' in live.text
        assert "Acknowledged by" in live.text
        assert "<html" not in live.text

    async def test_the_fragment_address_keeps_the_filters_encoded(self, client, admin):
        await log_in(client, admin)
        page = (
            await client.get("/incidents?q=disk+%26+cpu&status=triggered,mitigated&page=1")
        ).text
        assert 'data-fragment="/incidents/_rows?q=disk+%26+cpu"' in page  # unknown status dropped
        open_ = (await client.get("/incidents?status=triggered,acknowledged,mitigated")).text
        assert (
            'data-fragment="/incidents/_rows?status=triggered%2Cacknowledged%2Cmitigated"' in open_
        )
