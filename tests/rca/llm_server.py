"""A local server speaking OpenAI's chat-completions format (`POST /v1/chat/completions`), with
switches for the failures IMAS must survive."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class FakeLlm:
    def __init__(self) -> None:
        self.answer: dict[str, Any] = {}
        self.mode = "ok"  # ok | not-json | wrong-shape | 500 | slow
        self.requests: list[dict[str, Any]] = []
        self.url = ""
        app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        )
        self._task: asyncio.Task[None] | None = None

    async def _chat(self, request: Request) -> Response:
        self.requests.append(
            {"headers": dict(request.headers), "body": json.loads(await request.body())}
        )
        if self.mode == "500":
            return JSONResponse({"error": {"message": "overloaded"}}, status_code=500)
        if self.mode == "slow":
            await asyncio.sleep(5)  # well past the tests' 2 s LLM timeout
        content = {
            "not-json": "Sure! The root cause is probably the database.",
            "wrong-shape": json.dumps({"root_causes": "db", "confidence_score": 3}),
        }.get(self.mode, json.dumps(self.answer))
        return JSONResponse(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "model": "test",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
        )

    async def __aenter__(self) -> FakeLlm:
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:  # noqa: ASYNC110 (uvicorn says so with a flag only)
            await asyncio.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
