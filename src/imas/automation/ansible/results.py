"""What a playbook's events add up to: a result per host and per task, the counts the seed
shows (`tasks_total`, `tasks_successful`, `tasks_failed`), and the log line each event reads as.

A "task" in the counts is one task on one host (what ansible's recap counts): a playbook of 2
tasks run on 2 hosts has `tasks_total` 4. Successful: ok or changed; failed: failed or
unreachable; skipped tasks and failures the playbook ignores (`ignore_errors`) are counted
apart. The stored results are bounded (MAX_TASKS tasks, MESSAGE_MAX characters a message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from imas.automation.actions.base import Level

MAX_TASKS = 200
MESSAGE_MAX = 500
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
OUTCOMES = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
}
COUNTERS = ("ok", "changed", "failed", "unreachable", "skipped", "ignored")
LEVELS: dict[str, Level] = {
    "ok": "info",
    "changed": "info",
    "failed": "error",
    "unreachable": "error",
    "skipped": "debug",
    "ignored": "warning",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """A log line an event reads as."""

    level: Level
    message: str
    context: dict[str, Any] | None = None


def clean(text: object, limit: int = MESSAGE_MAX) -> str:
    return ANSI.sub("", str(text)).strip()[:limit]


def _message(res: dict[str, Any]) -> str:
    for key in ("msg", "stderr", "stdout", "reason"):
        value = res.get(key)
        if value not in (None, "", []):
            return clean(value if isinstance(value, str) else repr(value))
    return ""


@dataclass
class Results:
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    tasks_dropped: int = 0
    last_error: str | None = None
    """What ansible-playbook last printed as an error (a syntax error, a missing inventory)."""
    _by_uuid: dict[str, dict[str, Any]] = field(default_factory=dict)

    def host(self, name: str) -> dict[str, Any]:
        if name not in self.hosts:
            self.hosts[name] = {"status": "ok", **dict.fromkeys(COUNTERS, 0), "tasks": []}
        return self.hosts[name]

    def add(self, event: dict[str, Any]) -> Entry | None:
        """Take one ansible-runner event in; the log line it reads as (None: not worth one)."""
        kind = str(event.get("event", ""))
        data: dict[str, Any] = event.get("event_data") or {}
        if kind == "playbook_on_play_start":
            return Entry("info", f"PLAY [{clean(data.get('play', ''), 200)}]")
        if kind == "playbook_on_task_start":
            self._task(data)
            return Entry("info", f"TASK [{clean(data.get('task', ''), 200)}]")
        if kind in OUTCOMES:
            return self._outcome(kind, data)
        if kind == "playbook_on_no_hosts_matched":
            return Entry("warning", "No hosts matched")
        if kind == "playbook_on_stats":
            return self._recap(data)
        text = clean(event.get("stdout", ""), 2000)
        if kind in ("verbose", "warning", "error", "debug") and text:
            if "ERROR" in text or kind == "error":
                self.last_error = text[:MESSAGE_MAX]
                return Entry("error", text)
            return Entry("warning" if "WARNING" in text or kind == "warning" else "debug", text)
        return None

    def _task(self, data: dict[str, Any]) -> dict[str, Any] | None:
        key = str(data.get("task_uuid") or data.get("uuid") or "")
        if key in self._by_uuid:
            return self._by_uuid[key]
        if len(self.tasks) >= MAX_TASKS:
            self.tasks_dropped += 1
            return None
        task = {
            "name": clean(data.get("task", ""), 200),
            "action": str(data.get("task_action", "")),
            "hosts": {},
        }
        self._by_uuid[key] = task
        self.tasks.append(task)
        return task

    def _outcome(self, kind: str, data: dict[str, Any]) -> Entry:
        name = str(data.get("host", ""))
        res: dict[str, Any] = data.get("res") if isinstance(data.get("res"), dict) else {}  # type: ignore[assignment]
        outcome = OUTCOMES[kind]
        if outcome == "ok" and res.get("changed"):
            outcome = "changed"
        if outcome == "failed" and data.get("ignore_errors"):
            outcome = "ignored"
        message = _message(res) if outcome != "skipped" else ""
        task_name = clean(data.get("task", ""), 200)
        host = self.host(name)
        host[outcome] += 1
        if outcome in ("failed", "unreachable"):
            host["status"] = outcome
        if len(host["tasks"]) < MAX_TASKS:
            host["tasks"].append({"task": task_name, "status": outcome, "message": message})
        task = self._task(data)
        if task is not None:
            task["hosts"][name] = {"status": outcome, "message": message}
        text = f"{outcome}: [{name}] {task_name}" + (f": {message}" if message else "")
        context = {"host": name, "task": task_name, "status": outcome}
        return Entry(LEVELS[outcome], text, context)

    def _recap(self, data: dict[str, Any]) -> Entry:
        keys = {
            "ok": "ok",
            "changed": "changed",
            "unreachable": "dark",
            "failed": "failures",
            "skipped": "skipped",
            "ignored": "ignored",
        }
        names = sorted({h for k in keys.values() for h in (data.get(k) or {})})
        lines = []
        for name in names:
            counts = {label: int((data.get(key) or {}).get(name, 0)) for label, key in keys.items()}
            lines.append(f"{name}: " + " ".join(f"{k}={v}" for k, v in counts.items()))
        return Entry("info", "PLAY RECAP " + ("; ".join(lines) or "(no hosts)"))

    def counts(self) -> dict[str, int]:
        totals = {k: sum(int(h[k]) for h in self.hosts.values()) for k in COUNTERS}
        successful = totals["ok"] + totals["changed"]
        failed = totals["failed"] + totals["unreachable"]
        return {
            "tasks_total": successful + failed + totals["skipped"] + totals["ignored"],
            "tasks_successful": successful,
            "tasks_failed": failed,
            "tasks_skipped": totals["skipped"],
            "tasks_ignored": totals["ignored"],
        }

    def failed_hosts(self) -> list[str]:
        return sorted(n for n, h in self.hosts.items() if h["status"] != "ok")

    def summary(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "host_results": self.hosts,
            "task_results": self.tasks,
            "tasks_not_recorded": self.tasks_dropped,
        }
