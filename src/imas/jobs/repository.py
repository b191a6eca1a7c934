from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from imas.api.filtering import apply_ordering
from imas.jobs.models import Job, JobStatus

ORDERING = {"created_at": Job.created_at, "run_at": Job.run_at, "kind": Job.kind}


def filtered(status: JobStatus | None, kind: str | None, ordering: str | None) -> Select[Any]:
    stmt = select(Job)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    return apply_ordering(stmt, ordering, ORDERING, "-created_at", Job.id)
