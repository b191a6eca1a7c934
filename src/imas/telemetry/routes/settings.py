"""`/api/v1/telemetry/settings/`: the organization's metric retention (admins)."""

from __future__ import annotations

from fastapi import APIRouter

from imas.api.deps import SessionDep, SettingsDep
from imas.db import utcnow
from imas.telemetry import repository
from imas.telemetry.routes.deps import Admin
from imas.telemetry.schemas import SettingsRead, SettingsUpdate
from imas.telemetry.service import retention

router = APIRouter(prefix="/api/v1/telemetry/settings", tags=["telemetry"])


@router.get("/", response_model=SettingsRead, summary="The organization's telemetry settings")
async def get_settings(session: SessionDep, settings: SettingsDep, _: Admin) -> SettingsRead:
    row = await repository.settings_row(session)
    if row is None:
        return SettingsRead(retention_days=settings.telemetry_retention_days)
    return SettingsRead.model_validate(row, from_attributes=True)


@router.put("/", response_model=SettingsRead, summary="Change the metric retention (days)")
async def put_settings(
    data: SettingsUpdate, session: SessionDep, settings: SettingsDep, _: Admin
) -> SettingsRead:
    row = await retention.update(session, settings, data.retention_days, utcnow())
    return SettingsRead.model_validate(row, from_attributes=True)
