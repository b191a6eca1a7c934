"""`ansible_playbook`: run a playbook of the configured directory (`IMAS_ANSIBLE_PLAYBOOK_DIR`)
on inventory hosts, through ansible-runner (the `imas[ansible]` extra).

Each task's result on each host becomes a log line as it happens (the engine streams them to
the run's WebSocket, `/ws/runs/{id}/`) and the run's result holds the per-host and per-task
results with the seed's counts (`imas.automation.ansible.results`). Variables are passed as
data, never templated (`!unsafe`); names starting `ansible_` are refused (how to reach a host
belongs to the inventory, not to a request). A playbook is not blindly re-run: one attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation.actions.base import Action, ActionContext, ActionFailed, Outcome, Params
from imas.automation.ansible import playbooks, runner
from imas.automation.ansible.results import Results
from imas.config import Settings
from imas.errors import IMASError, ValidationFailed

HOST = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:*\[\]-]{0,252}")
ALIAS = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}")
VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
TAG = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
VARIABLES_MAX_BYTES = 64 * 1024


class AnsibleUnavailable(IMASError):
    status_code = 400
    code = "ansible_unavailable"
    error = "Ansible unavailable"


class AnsiblePlaybookParams(Params):
    playbook: str = Field(max_length=200, examples=["deploy.yml"])
    hosts: list[str] = Field(
        min_length=1,
        max_length=100,
        description="Inventory hosts (or groups/patterns of the configured inventory)",
        examples=[["web-01", "web-02"]],
    )
    variables: dict[str, Any] = Field(
        default_factory=dict, description="Extra variables, passed as data (never templated)"
    )
    check: bool = Field(default=False, description="Check mode: report changes, make none")
    tags: list[str] = Field(default_factory=list, max_length=50)
    skip_tags: list[str] = Field(default_factory=list, max_length=50)
    timeout_seconds: int = Field(default=600, ge=1, le=3600)

    @field_validator("playbook")
    @classmethod
    def _name(cls, value: str) -> str:
        if (why := playbooks.problem(value)) is not None:
            raise ValueError(why)
        return value

    @field_validator("hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not HOST.fullmatch(host):
                raise ValueError(f"'{host[:100]}' is not a host name or pattern")
        return list(dict.fromkeys(value))

    @field_validator("variables")
    @classmethod
    def _variables(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not VARIABLE.fullmatch(name):
                raise ValueError(f"'{name[:100]}' is not a variable name")
            if name.startswith("ansible_"):
                raise ValueError(f"'{name}': ansible_* variables belong to the inventory")
        if len(repr(value)) > VARIABLES_MAX_BYTES:
            raise ValueError(f"at most {VARIABLES_MAX_BYTES // 1024} KiB of variables")
        return value

    @field_validator("tags", "skip_tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not TAG.fullmatch(tag):
                raise ValueError(f"'{tag[:100]}' is not a tag")
        return value


class AnsiblePlaybook(Action):
    kind = "ansible_playbook"
    description = "Run an Ansible playbook of the playbook directory on inventory hosts."
    Params = AnsiblePlaybookParams
    max_retries = 1
    live = True

    async def load(self, session: AsyncSession, params: Any, settings: Settings) -> dict[str, Any]:
        p: AnsiblePlaybookParams = params
        if not runner.installed():
            raise AnsibleUnavailable(runner.INSTALL_HINT)
        path = playbooks.resolve(settings, p.playbook, "parameters.playbook")
        if settings.ansible_inventory is None:
            for host in p.hosts:
                if not ALIAS.fullmatch(host):
                    raise ValidationFailed.field(
                        "parameters.hosts",
                        f"'{host}': without IMAS_ANSIBLE_INVENTORY, hosts are plain names",
                    )
        return {"path": str(path)}

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        p: AnsiblePlaybookParams = ctx.params
        return {
            "playbook": p.playbook,
            "hosts": p.hosts,
            "variables": sorted(p.variables),
            "check": p.check,
            "tags": p.tags,
            "skip_tags": p.skip_tags,
        }

    async def run(self, ctx: ActionContext) -> Outcome:
        p: AnsiblePlaybookParams = ctx.params
        if not runner.installed():
            raise ActionFailed(runner.INSTALL_HINT)
        execution = runner.Execution(
            playbook=Path(str(ctx.loaded.get("path") or p.playbook)),
            hosts=p.hosts,
            variables=p.variables,
            inventory=ctx.settings.ansible_inventory,
            check=p.check,
            tags=p.tags,
            skip_tags=p.skip_tags,
            timeout_seconds=p.timeout_seconds,
        )
        ctx.log(
            "info",
            f"ansible-playbook {p.playbook} on {', '.join(p.hosts)}"
            + (" (check mode)" if p.check else "")
            + (f"; variables: {', '.join(sorted(p.variables))}" if p.variables else ""),
        )
        results = Results()
        started = time.monotonic()
        finished = await _execute(ctx, execution, results)
        details = {
            "playbook": p.playbook,
            "hosts": p.hosts,
            "check": p.check,
            "status": finished.status,
            "rc": finished.rc,
            "duration_seconds": round(time.monotonic() - started, 3),
            **results.summary(),
        }
        if finished.status == "successful":
            return Outcome(True, details)
        return Outcome(False, details, error=_error(p.playbook, finished, results))


async def _execute(
    ctx: ActionContext, execution: runner.Execution, results: Results
) -> runner.Finished:
    """Run it in a thread, turning its events into results and log lines as they come; a
    cancellation (the engine's timeout, a stop request) kills ansible-playbook first."""
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    stop = threading.Event()

    def on_event(event: dict[str, Any]) -> None:
        loop.call_soon_threadsafe(events.put_nowait, event)

    with tempfile.TemporaryDirectory(prefix="imas-ansible-") as private:
        job = asyncio.ensure_future(
            asyncio.to_thread(runner.run, execution, Path(private), on_event, stop)
        )
        job.add_done_callback(lambda _: events.put_nowait(None))
        try:
            while (event := await events.get()) is not None:
                if (entry := results.add(event)) is not None:
                    ctx.log(entry.level, entry.message)
            return await job
        except asyncio.CancelledError:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.shield(job)
            raise
        except ImportError:
            raise ActionFailed(runner.INSTALL_HINT) from None
        except Exception as exc:  # ansible-runner refused to start (a bad inventory path...)
            raise ActionFailed(f"ansible-runner could not run the playbook: {exc}") from None


def _error(name: str, finished: runner.Finished, results: Results) -> str:
    if finished.status == "timeout":
        return f"{name} timed out and was stopped"
    if finished.status == "canceled":
        return f"{name} was stopped"
    failed = results.failed_hosts()
    if failed:
        count = results.counts()["tasks_failed"]
        return f"{name} failed on {', '.join(failed)}: {count} failed task(s)"
    reason = f": {results.last_error}" if results.last_error else ""
    return f"{name} failed (ansible-playbook exited with code {finished.rc}){reason}"
