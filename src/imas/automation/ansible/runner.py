"""Running one playbook with ansible-runner, in a private directory of its own.

- Extra variables are written to a file whose every string is tagged `!unsafe`: ansible takes
  them as data and never templates them, so `{{ lookup('pipe', ...) }}` in a value stays text.
- Inventory: the configured `IMAS_ANSIBLE_INVENTORY`, limited to the requested hosts; without
  one, the requested hosts themselves (aliases ansible reaches by name, over SSH by default).
- The process gets IMAS's environment without its own `IMAS_*` settings, its temporary files
  in the private directory, no colours, and this Python's `ansible-playbook` first on PATH.
- `ansible_runner.run` blocks: it runs in a worker thread; `stop` asks it to kill the process.
  ansible-runner kills ansible-playbook's process group, which its workers have left (they
  call setsid): every process whose command line names this execution's private directory is
  killed too, when stopped and once it ends (Linux's /proc; elsewhere only the group).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PEXPECT_POLL_SECONDS = 0.5
"""How often the runner looks for a stop request."""
INSTALL_HINT = "Ansible is not installed on this IMAS: pip install 'imas[ansible]'"


def installed() -> bool:
    return importlib.util.find_spec("ansible_runner") is not None and (
        importlib.util.find_spec("ansible") is not None
    )


@dataclass(frozen=True)
class Execution:
    playbook: Path
    hosts: list[str]
    variables: dict[str, Any] = field(default_factory=dict)
    inventory: Path | None = None
    check: bool = False
    tags: list[str] = field(default_factory=list)
    skip_tags: list[str] = field(default_factory=list)
    timeout_seconds: int = 600


@dataclass(frozen=True)
class Finished:
    status: str
    """ansible-runner's: successful, failed, timeout, canceled."""
    rc: int | None


def unsafe_yaml(value: Any) -> str:
    """`value` as YAML flow text with every string `!unsafe` (JSON's escapes are YAML's)."""
    if isinstance(value, str):
        return "!unsafe " + json.dumps(value)
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k))}: {unsafe_yaml(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(unsafe_yaml(v) for v in value) + "]"
    return json.dumps(value)


def environment(private: Path) -> dict[str, str]:
    env = {name: "" for name in os.environ if name.startswith("IMAS_")}
    bindir = str(Path(sys.executable).parent)
    tmp = private / "tmp"
    tmp.mkdir(exist_ok=True)
    env.update(
        PATH=os.pathsep.join([bindir, os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")]),
        ANSIBLE_LOCAL_TEMP=str(tmp),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_HOST_KEY_CHECKING=os.environ.get("ANSIBLE_HOST_KEY_CHECKING", "True"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _inventory(execution: Execution, private: Path) -> str:
    if execution.inventory is not None:
        return str(execution.inventory)
    path = private / "hosts.yml"
    path.write_text(json.dumps({"all": {"hosts": dict.fromkeys(execution.hosts)}}))
    return str(path)


def run(
    execution: Execution,
    private: Path,
    on_event: Callable[[dict[str, Any]], None],
    stop: threading.Event,
) -> Finished:
    """Run the playbook to its end (blocking): every event to `on_event` as it happens."""
    import ansible_runner

    (private / "runner").mkdir(exist_ok=True)
    variables = private / "extravars.yml"
    variables.write_text(unsafe_yaml(execution.variables) + "\n")
    variables.chmod(0o600)
    cmdline = ["--extra-vars", f"@{variables}"]
    if execution.check:
        cmdline.append("--check")

    def handle(event: dict[str, Any]) -> bool:
        on_event(event)
        return False  # not kept on disk: IMAS records what it needs

    def cancelled() -> bool:
        if stop.is_set():
            kill_all(str(private))
            return True
        return False

    try:
        runner = ansible_runner.run(
            private_data_dir=str(private / "runner"),
            project_dir=str(execution.playbook.parent),
            playbook=execution.playbook.name,
            inventory=_inventory(execution, private),
            limit=",".join(execution.hosts),
            tags=",".join(execution.tags) or None,
            skip_tags=",".join(execution.skip_tags) or None,
            cmdline=shlex.join(cmdline),
            envvars=environment(private),
            settings={"pexpect_timeout": PEXPECT_POLL_SECONDS, "suppress_ansible_output": True},
            timeout=execution.timeout_seconds,
            quiet=True,
            suppress_env_files=True,
            event_handler=handle,
            cancel_callback=cancelled,
        )
    finally:
        kill_all(str(private))  # a timed out run's orphaned workers
    return Finished(str(runner.status), runner.rc)


def kill_all(marker: str) -> None:
    """SIGKILL every process (of this user) whose command line contains `marker`."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    needle, me = marker.encode(), os.getpid()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if needle in (entry / "cmdline").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue  # gone, or not ours
