"""The playbooks IMAS may run: files of one configured directory, named by their bare file
name (`deploy.yml`, or `deploy` for `deploy.yml`/`deploy.yaml`). A name with a path in it is
refused (400) before anything is read; the file found must lie inside the directory once
symlinks are resolved."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imas.config import Settings
from imas.errors import NotFound, ValidationFailed

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}")
SUFFIXES = (".yml", ".yaml")


class PlaybookNotFound(NotFound):
    code = "playbook_not_found"


@dataclass(frozen=True, slots=True)
class PlaybookFile:
    name: str
    size: int
    modified_at: datetime


def directory(settings: Settings) -> Path:
    return settings.ansible_playbook_dir or settings.var_dir / "playbooks"


def problem(name: str) -> str | None:
    """Why `name` is not a playbook name (None when it is one)."""
    if "/" in name or "\\" in name or ".." in name or "\x00" in name:
        return "a playbook is named by its file name alone: no path, no '..'"
    if not NAME.fullmatch(name):
        return "a playbook name is letters, digits, '_', '.', '-' (at most 200)"
    return None


def check_name(name: str, field: str = "playbook") -> str:
    if (why := problem(name)) is not None:
        raise ValidationFailed.field(field, why)
    return name


def resolve(settings: Settings, name: str, field: str = "playbook") -> Path:
    """The playbook's file (400 for a bad name, 404 when there is none)."""
    check_name(name, field)
    root = Path(os.path.realpath(directory(settings)))
    candidates = [name] if name.endswith(SUFFIXES) else [name + s for s in SUFFIXES]
    for candidate in candidates:
        path = Path(os.path.realpath(root / candidate))
        if path.parent == root and path.is_file():
            return path
    raise PlaybookNotFound(
        f"No playbook '{name}' in the playbook directory.",
        details={"resource": "playbook", "name": name},
    )


def available(settings: Settings) -> list[PlaybookFile]:
    """The playbooks of the directory, by name (none when it does not exist)."""
    root = directory(settings)
    if not root.is_dir():
        return []
    found: list[PlaybookFile] = []
    for entry in sorted(root.iterdir()):
        if entry.suffix not in SUFFIXES or problem(entry.name) is not None:
            continue
        try:
            path = resolve(settings, entry.name)
        except NotFound:
            continue  # a symlink out of the directory, or not a file
        stat = path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        found.append(PlaybookFile(entry.name, stat.st_size, modified))
    return found
