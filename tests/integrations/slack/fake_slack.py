"""A small Slack Web API on 127.0.0.1: the methods IMAS calls, with the request and answer
shapes of Slack's documentation (`{"ok": true, ...}`, or `{"ok": false, "error": "..."}`).

Arguments are read as Slack reads them: query string, URL-encoded form or JSON body; the bot
token from `Authorization: Bearer`. Every call is recorded.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.integrations.servers import LocalServer

BOT_TOKEN = "xoxb-test-token"
TEAM_ID = "T0IMAS001"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str


@dataclass
class SlackUser:
    id: str
    email: str
    name: str = "someone"


class FakeSlack(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.token = BOT_TOKEN
        self.team_id = TEAM_ID
        self.users: dict[str, SlackUser] = {}
        self.channels: dict[str, str] = {}  # name -> id
        self.calls: list[Call] = []
        self.errors: dict[str, str] = {}  # method -> the error it answers
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def add_user(self, slack_id: str, email: str) -> SlackUser:
        user = SlackUser(slack_id, email)
        self.users[slack_id] = user
        return user

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/{method}", self._api, methods=["GET", "POST"])])

    async def _args(self, request: Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query_params)
        content_type = request.headers.get("content-type", "")
        if "json" in content_type:
            body = await request.body()
            if body:
                args.update(json.loads(body))
        elif "form" in content_type:
            form = await request.form()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
        for key in ("blocks", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        args = await self._args(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        self.calls.append(Call(method, args, token))
        if token != self.token:
            return JSONResponse({"ok": False, "error": "invalid_auth"})
        if method in self.errors:
            return JSONResponse({"ok": False, "error": self.errors[method]})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return JSONResponse({"ok": False, "error": "unknown_method"})
        answer: dict[str, Any] = handler(args)
        return JSONResponse(answer)

    def _next_ts(self) -> str:
        return f"1702380000.{next(self._ts):06d}"

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "team_id": self.team_id, "team": "IMAS", "user_id": "UBOT"}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args["channel"])
        if channel.startswith("U"):  # a DM: Slack answers with the IM channel's id
            channel = "D" + channel[1:]
        ts = self._next_ts()
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text")}}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text")}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return {"ok": True, "view": {"id": "V0001", **args["view"]}}

    def _conversations_create(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(args["name"])
        if name in self.channels:
            return {"ok": False, "error": "name_taken"}
        channel_id = f"C{next(self._ids):09d}"
        self.channels[name] = channel_id
        return {"ok": True, "channel": {"id": channel_id, "name": name, "is_channel": True}}

    def _conversations_list(self, args: dict[str, Any]) -> dict[str, Any]:
        channels = [{"id": cid, "name": name} for name, cid in self.channels.items()]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _user(self, user: SlackUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": user.name,
            "profile": {"email": user.email, "real_name": user.name},
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user(user)}

    def _users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        for user in self.users.values():
            if user.email == args.get("email"):
                return {"ok": True, "user": self._user(user)}
        return {"ok": False, "error": "users_not_found"}
