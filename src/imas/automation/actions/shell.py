"""`shell`: run one allow-listed program on the IMAS host (admins only).

Off unless `IMAS_AUTOMATION_SHELL_ENABLED` is true, and then only for a program whose absolute
path is in `IMAS_AUTOMATION_SHELL_ALLOW`. The command is a list (the program, then its
arguments) executed directly: no shell, so nothing in it is expanded or interpolated. The
program gets a minimal environment (not IMAS's own, which holds its secrets), is killed (with
anything it started) when `timeout_seconds` run out, and only the first few kilobytes of its
output are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import time
from typing import Any

from pydantic import Field, field_validator

from imas.automation.actions.base import Action, ActionContext, ActionFailed, Outcome, Params

OUTPUT_EXCERPT = 4000
"""The most of stdout and of stderr kept (bytes)."""
ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


class ShellParams(Params):
    command: list[str] = Field(
        min_length=1,
        max_length=100,
        description="The program's absolute path, then its arguments (no shell)",
    )
    timeout_seconds: int = Field(60, ge=1, le=600, description="Killed after this many seconds")

    @field_validator("command")
    @classmethod
    def _absolute(cls, command: list[str]) -> list[str]:
        program = command[0]
        if not os.path.isabs(program) or os.path.normpath(program) != program:
            raise ValueError("the first item must be the program's absolute, normalized path")
        if any("\x00" in item for item in command):
            raise ValueError("the command cannot contain NUL characters")
        return command


def refusal(ctx: ActionContext) -> str | None:
    """Why the settings forbid running this command (None: they allow it)."""
    p: ShellParams = ctx.params
    if not ctx.settings.automation_shell_enabled:
        return "shell actions are disabled (IMAS_AUTOMATION_SHELL_ENABLED is not true)"
    allowed = {os.path.normpath(a) for a in ctx.settings.automation_shell_allow}
    if p.command[0] not in allowed:
        return f"{p.command[0]} is not in IMAS_AUTOMATION_SHELL_ALLOW"
    return None


class Shell(Action):
    kind = "shell"
    description = "Run an allow-listed program on the IMAS host (admins only)."
    Params = ShellParams
    admin_only = True
    max_retries = 1

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        p: ShellParams = ctx.params
        return {
            "command": list(p.command),
            "timeout_seconds": p.timeout_seconds,
            "allowed": refusal(ctx) is None,
            "refused_because": refusal(ctx),
        }

    async def run(self, ctx: ActionContext) -> Outcome:
        p: ShellParams = ctx.params
        if (why := refusal(ctx)) is not None:
            ctx.log("error", f"refused: {why}")
            raise ActionFailed(why, {"command": p.command[0]})
        ctx.log("info", f"running {shlex.join(p.command)} (timeout {p.timeout_seconds}s)")
        started = time.monotonic()
        try:
            process = await asyncio.create_subprocess_exec(
                *p.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=ENVIRONMENT,
                cwd="/",
                start_new_session=True,  # its own process group, killed as a whole
            )
        except OSError as exc:
            raise ActionFailed(
                f"{p.command[0]} could not be started: {exc.strerror or exc}"
            ) from None
        stdout, stderr = _Excerpt(), _Excerpt()
        assert process.stdout is not None
        assert process.stderr is not None
        try:
            async with asyncio.timeout(p.timeout_seconds):
                await asyncio.gather(
                    stdout.read(process.stdout), stderr.read(process.stderr), process.wait()
                )
        except TimeoutError:
            _kill(process)
            await process.wait()
            details = self._details(process.returncode, stdout, stderr, started)
            ctx.log("error", f"killed after {p.timeout_seconds}s")
            raise ActionFailed(
                f"{p.command[0]} did not finish within {p.timeout_seconds}s and was killed",
                {**details, "timed_out": True},
            ) from None
        except asyncio.CancelledError:
            _kill(process)
            raise
        details = self._details(process.returncode, stdout, stderr, started)
        code = process.returncode
        ctx.log("info" if code == 0 else "error", f"exited with code {code}")
        if code != 0:
            return Outcome(False, details, error=f"{p.command[0]} exited with code {code}")
        return Outcome(True, details)

    def _details(
        self, code: int | None, stdout: _Excerpt, stderr: _Excerpt, started: float
    ) -> dict[str, Any]:
        return {
            "exit_code": code,
            "stdout": stdout.text(),
            "stderr": stderr.text(),
            "output_truncated": stdout.truncated or stderr.truncated,
            "duration_seconds": round(time.monotonic() - started, 3),
        }


class _Excerpt:
    """The first OUTPUT_EXCERPT bytes of a stream, read to its end (the rest dropped)."""

    def __init__(self) -> None:
        self.kept = bytearray()
        self.truncated = False

    async def read(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            room = OUTPUT_EXCERPT - len(self.kept)
            self.kept += chunk[: max(room, 0)]
            self.truncated = self.truncated or len(chunk) > room

    def text(self) -> str:
        return self.kept.decode(errors="replace")


def _kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL to the process's group (it and what it started); it leads its own group."""
    if process.returncode is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.kill()
