"""A small JIRA REST API (v2) on 127.0.0.1: the endpoints the `jira` library calls for IMAS
(serverInfo, create issue, get issue, transitions, comment), with Atlassian's request and
answer shapes and Basic authentication (e-mail + API token)."""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.integrations.servers import LocalServer

EMAIL = "imas-bot@example.com"
API_TOKEN = "ATATT3xFfGF0-test-token"
PROJECT = "APAIOPS"

# A simple workflow: every status can go to every other (as JIRA's default "simplified" one).
STATUSES = {
    "To Do": ("11", "new"),
    "In Progress": ("21", "indeterminate"),
    "Done": ("31", "done"),
}


@dataclass
class FakeIssue:
    key: str
    fields: dict[str, Any]
    status: str = "To Do"
    comments: list[str] = field(default_factory=list)
    transitions: list[str] = field(default_factory=list)  # statuses moved to, in order


class FakeJira(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.issues: dict[str, FakeIssue] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self._numbers = itertools.count(1)

    def app(self) -> Starlette:
        base = "/rest/api/2"
        return Starlette(
            routes=[
                Route(f"{base}/serverInfo", self._server_info, methods=["GET"]),
                Route(f"{base}/issue", self._create, methods=["POST"]),
                Route(f"{base}/issue/{{key}}", self._issue, methods=["GET"]),
                Route(
                    f"{base}/issue/{{key}}/transitions", self._transitions, methods=["GET", "POST"]
                ),
                Route(f"{base}/issue/{{key}}/comment", self._comment, methods=["POST"]),
            ]
        )

    def _authorized(self, request: Request) -> bool:
        self.requests.append((request.method, request.url.path))
        expected = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
        return request.headers.get("authorization") == f"Basic {expected}"

    def _denied(self) -> JSONResponse:
        return JSONResponse(
            {"errorMessages": ["You are not authenticated."], "errors": {}}, status_code=401
        )

    def _status(self, name: str) -> dict[str, Any]:
        status_id, category = STATUSES.get(name, ("99", "indeterminate"))
        return {"name": name, "id": status_id, "statusCategory": {"key": category}}

    def _issue_json(self, issue: FakeIssue) -> dict[str, Any]:
        return {
            "id": issue.key.split("-")[1],
            "key": issue.key,
            "self": f"{self.base_url}/rest/api/2/issue/{issue.key}",
            "fields": {**issue.fields, "status": self._status(issue.status)},
        }

    async def _server_info(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._denied()
        return JSONResponse(
            {
                "baseUrl": self.base_url,
                "version": "9.12.0",
                "versionNumbers": [9, 12, 0],
                "deploymentType": "Server",
                "buildNumber": 9120000,
                "serverTitle": "Fake JIRA",
            }
        )

    async def _create(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._denied()
        fields = (await request.json())["fields"]
        if fields.get("project", {}).get("key") != PROJECT:
            return JSONResponse(
                {"errorMessages": [], "errors": {"project": "valid project is required"}},
                status_code=400,
            )
        key = f"{PROJECT}-{next(self._numbers)}"
        self.issues[key] = FakeIssue(key, fields)
        return JSONResponse(
            {
                "id": key.split("-")[1],
                "key": key,
                "self": f"{self.base_url}/rest/api/2/issue/{key}",
            },
            status_code=201,
        )

    def _found(self, request: Request) -> FakeIssue | None:
        return self.issues.get(request.path_params["key"])

    async def _issue(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._denied()
        issue = self._found(request)
        if issue is None:
            return JSONResponse({"errorMessages": ["Issue does not exist"]}, status_code=404)
        return JSONResponse(self._issue_json(issue))

    async def _transitions(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._denied()
        issue = self._found(request)
        if issue is None:
            return JSONResponse({"errorMessages": ["Issue does not exist"]}, status_code=404)
        if request.method == "GET":
            return JSONResponse(
                {
                    "expand": "transitions",
                    "transitions": [
                        {"id": tid, "name": name, "to": self._status(name)}
                        for name, (tid, _) in STATUSES.items()
                        if name != issue.status
                    ],
                }
            )
        wanted = str((await request.json())["transition"]["id"])
        for name, (tid, _) in STATUSES.items():
            if tid == wanted:
                issue.status = name
                issue.transitions.append(name)
                return Response(status_code=204)
        return JSONResponse({"errorMessages": ["no such transition"]}, status_code=400)

    async def _comment(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._denied()
        issue = self._found(request)
        if issue is None:
            return JSONResponse({"errorMessages": ["Issue does not exist"]}, status_code=404)
        body = (await request.json())["body"]
        issue.comments.append(body)
        return JSONResponse(
            {"id": str(len(issue.comments)), "body": body, "author": {"emailAddress": EMAIL}},
            status_code=201,
        )

    def set_status(self, key: str, name: str) -> None:
        self.issues[key].status = name


def webhook(
    key: str, to: str, from_: str = "To Do", email: str = "john.doe@company.com"
) -> dict[str, Any]:
    """JIRA's `jira:issue_updated` webhook for a status change (seed 004's example)."""
    category = STATUSES.get(to, ("", "indeterminate"))[1]
    return {
        "timestamp": 1702380000000,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "issue": {
            "key": key,
            "fields": {
                "status": {"name": to, "statusCategory": {"key": category}},
                "summary": "ADF Pipeline Failure: pipeline-name",
                "description": "...",
            },
        },
        "user": {"displayName": "John Doe", "emailAddress": email},
        "changelog": {"items": [{"field": "status", "fromString": from_, "toString": to}]},
    }
