"""The dashboard in a real browser (headless Chromium): log in, watch an alert become an
incident live, act on it, comment, and check every page's basic accessibility."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from imas.db import Database
from tests.alerts.payloads import alertmanager, am_alert
from tests.factories import Actor, make_actor
from tests.incidents.factories import make_service, make_team
from tests.web.conftest import Served
from tests.web.helpers import open_incident

# Every visible form control has a label (a <label for>, a wrapping <label> or an aria-label);
# the page has exactly one h1 and no heading skips a level.
A11Y_CHECK = """() => {
  const problems = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]'))
      || el.closest('label') || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push('unlabelled ' + el.tagName + ' ' + (el.name || el.id));
  }
  for (const b of document.querySelectorAll('button, a')) {
    if (!b.textContent.trim() && !b.getAttribute('aria-label')) {
      problems.push('nameless ' + b.outerHTML);
    }
  }
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(h1 + ' h1 elements');
  let last = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Number(h.tagName[1]);
    if (last && level > last + 1) problems.push('heading jumps to ' + h.tagName);
    last = level;
  }
  if (!document.documentElement.lang) problems.push('no lang');
  return problems;
}"""


async def _log_in(page: Any, served: Served, actor: Actor) -> None:
    await page.goto(served.url("/login"))
    await page.get_by_label("Username or e-mail").fill(actor.user.username)
    await page.get_by_label("Password").fill(actor.password)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r".*/incidents$"))


async def _live(page: Any) -> None:
    """Wait until the page's WebSocket says it is connected."""
    await page.wait_for_selector("body[data-ws-state='live']")


async def _accessible(page: Any, shots: Path, name: str) -> None:
    problems = await page.evaluate(A11Y_CHECK)
    assert problems == [], (name, problems)
    await page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


async def test_logging_in_through_the_form(page, served, admin, screenshots):
    await page.goto(served.url("/"))
    await page.wait_for_url(re.compile(r".*/login"))
    await _accessible(page, screenshots, "login")
    await _log_in(page, served, admin)
    assert await page.get_by_role("heading", level=1).inner_text() == "Incidents"
    cookies = await page.context.cookies()
    session = next(c for c in cookies if c["name"] == "imas_session")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"


async def test_a_wrong_password_shows_an_error(page, served, admin, screenshots):
    await page.goto(served.url("/login"))
    await page.get_by_label("Username or e-mail").fill(admin.user.username)
    await page.get_by_label("Password").fill("not-the-password")
    await page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    assert "incorrect" in await alert.inner_text()
    await _accessible(page, screenshots, "login-error")


async def test_an_alert_becomes_a_live_row_then_is_acknowledged_and_commented(
    page, served, client, db: Database, admin, screenshots
):
    service = await make_service(db, admin.org, "api-gateway")
    created = await client.post(
        "/api/v1/integrations/",
        headers=admin.headers,
        json={"kind": "alertmanager", "name": "prod", "default_service": str(service.id)},
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]

    await _log_in(page, served, admin)
    await _live(page)
    await page.evaluate("window.__notReloaded = true")
    posted = await client.post(
        "/api/v1/webhooks/alertmanager/",
        headers={"Authorization": f"Bearer {key}"},
        json=alertmanager(am_alert("CheckoutErrors", summary="Checkout error rate above 5%")),
    )
    assert posted.status_code in (200, 201, 202), posted.text
    row = page.locator("tr[data-incident]").first
    await row.wait_for()
    assert "Checkout error rate above 5%" in await row.inner_text()
    short_id = await row.get_attribute("data-incident")
    assert short_id
    assert short_id.startswith("INC-")
    assert await page.evaluate("window.__notReloaded") is True  # no full reload
    announcer = page.locator("#live-announcer")
    await page.wait_for_function(
        "document.getElementById('live-announcer').textContent.startsWith('New incident INC-')"
    )
    assert short_id in await announcer.inner_text()
    await _accessible(page, screenshots, "incidents")

    await page.get_by_role("link", name=short_id).click()
    await page.wait_for_url(re.compile(rf".*/incidents/{short_id}$"))
    assert "Triggered" in await page.locator("[data-status]").inner_text()
    await page.get_by_role("button", name="Acknowledge").click()
    await page.wait_for_url(re.compile(rf".*/incidents/{short_id}$"))
    assert "Acknowledged" in await page.locator("[data-status]").inner_text()
    timeline = await page.locator("#timeline").inner_text()
    assert f"Acknowledged by {admin.user.username}" in timeline

    await page.get_by_label("Add a comment").fill("Rolling back the 14:02 deploy")
    await page.get_by_role("button", name="Comment").click()
    await page.wait_for_url(re.compile(rf".*/incidents/{short_id}$"))
    assert "Rolling back the 14:02 deploy" in await page.locator("#comment-list").inner_text()
    await _accessible(page, screenshots, "incident")


async def test_an_incident_page_follows_changes_made_elsewhere(page, served, client, db, admin):
    service = await make_service(db, admin.org, "search")
    short_id = await open_incident(client, admin, service.id, "Search is slow")
    await _log_in(page, served, admin)
    await page.goto(served.url(f"/incidents/{short_id}"))
    await _live(page)
    await page.evaluate("window.__notReloaded = true")
    mitigated = await client.post(f"/api/v1/incidents/{short_id}/mitigate/", headers=admin.headers)
    assert mitigated.status_code == 200, mitigated.text
    await page.wait_for_selector("[data-status='MITIGATED']")
    assert "Mitigated by" in await page.locator("#timeline").inner_text()
    assert await page.evaluate("window.__notReloaded") is True
    await page.wait_for_function(
        "document.getElementById('live-announcer').textContent.includes('mitigated')"
    )


async def test_another_organizations_incident_is_not_found(
    page, served, client, db, admin, outsider, screenshots
):
    theirs = await make_service(db, outsider.org, "theirs")
    short_id = await open_incident(client, outsider, theirs.id, "Not yours")
    await _log_in(page, served, admin)
    response = await page.goto(served.url(f"/incidents/{short_id}"))
    assert response is not None
    assert response.status == 404
    assert await page.get_by_role("heading", level=1).inner_text() == "Not found"
    await _accessible(page, screenshots, "not-found")


async def test_every_page_passes_the_basic_accessibility_check(
    page, served, client, db, admin, screenshots
):
    team = await make_team(db, admin.org, "platform")
    oncall = await make_actor(db, org=admin.org, role="responder", username="ada")
    await client.patch(
        f"/api/v1/teams/{team.id}/",
        headers=admin.headers,
        json={"current_on_call": str(oncall.user.id)},
    )
    service = await make_service(db, admin.org, "checkout", owner_team=team)
    for n, severity in enumerate(["SEV1_CRITICAL", "SEV2_HIGH", "SEV3_MEDIUM", "SEV4_LOW"]):
        await open_incident(client, admin, service.id, f"Example {n}", severity=severity)
    await _log_in(page, served, admin)
    for path, name in [
        ("/incidents", "incidents-list"),
        ("/alerts", "alerts"),
        ("/services", "services"),
        ("/teams", "teams"),
        ("/analytics?period=90d", "analytics"),
    ]:
        response = await page.goto(served.url(path))
        assert response is not None
        assert response.status == 200, path
        await _accessible(page, screenshots, name)
    await page.goto(served.url("/teams"))
    assert "ada" in await page.locator(".oncall").first.inner_text()
    # Keyboard users reach the skip link first.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "skip"
