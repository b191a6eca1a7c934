"""Real `ansible-playbook` runs: playbooks in the default playbook directory
(`<var_dir>/playbooks`), an inventory of two aliases (`web-1`, `web-2`) that ansible reaches
with the local connection, and a worker that executes the runs beside the test."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from imas.api.app import create_app
from imas.config import Settings
from imas.db import Database
from imas.jobs.worker import Worker

PLAYBOOKS = {
    "deploy.yml": """
- name: Deploy
  hosts: all
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.debug:
        msg: "hello {{ inventory_hostname }} version {{ app_version | default('none') }}"
    - name: Break
      ansible.builtin.fail:
        msg: "boom on {{ inventory_hostname }}"
    - name: Never reached
      ansible.builtin.debug:
        msg: unreachable
""",
    "restart.yml": """
- name: Restart
  hosts: all
  gather_facts: false
  tasks:
    - name: Restart the app
      ansible.builtin.debug:
        msg: "restarting {{ service | default('app') }} on {{ inventory_hostname }}"
    - name: Only with a tag
      ansible.builtin.debug:
        msg: tagged
      tags: [never, extra]
""",
    "slow.yaml": """
- name: Slow
  hosts: all
  gather_facts: false
  tasks:
    - name: Wait
      ansible.builtin.pause:
        seconds: 60
""",
}
INVENTORY = """[web]
web-1
web-2

[web:vars]
ansible_connection=local
ansible_python_interpreter={{ ansible_playbook_python }}
"""


@pytest.fixture(scope="session")
def playbook_dir(settings: Settings) -> Path:
    directory = settings.var_dir / "playbooks"  # the default: IMAS_ANSIBLE_PLAYBOOK_DIR unset
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in PLAYBOOKS.items():
        (directory / name).write_text(text.lstrip())
    return directory


@pytest.fixture(scope="session")
def ansible_settings(settings: Settings, playbook_dir: Path, tmp_path_factory) -> Settings:
    inventory = tmp_path_factory.mktemp("inventory") / "hosts.ini"
    inventory.write_text(INVENTORY)
    return settings.model_copy(
        update={"ansible_inventory": inventory, "automation_retry_seconds": 0.05}
    )


@pytest.fixture(autouse=True)
def _private_ansible_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing of the test's user (~/.ansible, an ansible.cfg) plays a part."""
    monkeypatch.setenv("ANSIBLE_HOME", str(tmp_path / "ansible-home"))
    monkeypatch.setenv("ANSIBLE_CONFIG", str(tmp_path / "none.cfg"))
    monkeypatch.setenv("ANSIBLE_GALAXY_SERVER_LIST", "")


@pytest.fixture
def app(ansible_settings: Settings, db: Database) -> FastAPI:
    return create_app(ansible_settings, db)


@contextlib.asynccontextmanager
async def running_worker(db: Database, settings: Settings) -> AsyncIterator[Worker]:
    """A job worker beside the test (what `imas serve` runs in-process)."""
    worker = Worker(db, settings, concurrency=2, poll_interval=0.05)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop()
        await task


@pytest.fixture
def ansible_worker_factory(
    db: Database, ansible_settings: Settings
) -> Callable[[], contextlib.AbstractAsyncContextManager[Worker]]:
    return lambda: running_worker(db, ansible_settings)


@pytest.fixture
async def ansible_worker(db: Database, ansible_settings: Settings) -> AsyncIterator[Worker]:
    async with running_worker(db, ansible_settings) as worker:
        yield worker
