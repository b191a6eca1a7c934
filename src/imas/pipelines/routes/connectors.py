"""`/api/v1/connectors/`: where pipelines read and write data."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep, SettingsDep
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.pipelines import presenters, repository
from imas.pipelines.connectors import registry
from imas.pipelines.routes.deps import Reader, Writer
from imas.pipelines.schemas import (
    ConnectionTest,
    ConnectorCreate,
    ConnectorRead,
    ConnectorSchema,
    ConnectorTypeInfo,
    ConnectorUpdate,
)
from imas.pipelines.service import connectors as service

router = APIRouter(prefix="/api/v1/connectors", tags=["pipelines"])


@router.get("/", response_model=Page[ConnectorRead], summary="List connectors")
async def list_connectors(
    request: Request,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    connector_type: Annotated[str | None, Query(max_length=30)] = None,
    is_active: bool | None = None,
    search: Annotated[str | None, Query(max_length=200, description="In the name")] = None,
) -> Page[ConnectorRead]:
    stmt = repository.connectors(connector_type=connector_type, is_active=is_active, search=search)
    return await paginate(session, stmt, pages, request, presenters.connector)


@router.get(
    "/types/", response_model=list[ConnectorTypeInfo], summary="Connector types and their fields"
)
async def connector_types(_: Reader) -> list[ConnectorTypeInfo]:
    return [presenters.connector_type_info(kind) for kind in registry.kinds()]


@router.post(
    "/",
    response_model=ConnectorRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a connector (its credentials are stored encrypted, never returned)",
)
async def create_connector(
    data: ConnectorCreate, session: SessionDep, settings: SettingsDep, principal: Writer
) -> ConnectorRead:
    return presenters.connector(await service.create(session, data, principal.user, settings))


@router.get("/{connector_id}/", response_model=ConnectorRead, summary="Get a connector")
async def get_connector(connector_id: uuid.UUID, session: SessionDep, _: Reader) -> ConnectorRead:
    return presenters.connector(await repository.connector(session, connector_id))


async def _update(
    connector_id: uuid.UUID, data: ConnectorUpdate, session: SessionDep, settings: SettingsDep
) -> ConnectorRead:
    connector = await repository.connector(session, connector_id)
    return presenters.connector(await service.update(session, connector, data, settings))


@router.patch("/{connector_id}/", response_model=ConnectorRead, summary="Change a connector")
async def patch_connector(
    connector_id: uuid.UUID,
    data: ConnectorUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _: Writer,
) -> ConnectorRead:
    return await _update(connector_id, data, session, settings)


@router.put("/{connector_id}/", response_model=ConnectorRead, summary="Change a connector")
async def put_connector(
    connector_id: uuid.UUID,
    data: ConnectorUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _: Writer,
) -> ConnectorRead:
    return await _update(connector_id, data, session, settings)


@router.delete(
    "/{connector_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a connector no pipeline uses",
)
async def delete_connector(connector_id: uuid.UUID, session: SessionDep, _: Writer) -> Response:
    await service.delete(session, await repository.connector(session, connector_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{connector_id}/test/",
    response_model=ConnectionTest,
    summary="Connect to the source for real: success, or the driver's reason",
)
async def run_connection_test(
    connector_id: uuid.UUID, session: SessionDep, settings: SettingsDep, _: Writer
) -> ConnectionTest:
    connector = await repository.connector(session, connector_id)
    await session.commit()  # no transaction held while the source answers (or not)
    return await service.test(connector, settings)


@router.get(
    "/{connector_id}/schema/",
    response_model=ConnectorSchema,
    summary="Tables, columns and their types, read from the source",
)
async def connector_schema(
    connector_id: uuid.UUID, session: SessionDep, settings: SettingsDep, _: Reader
) -> ConnectorSchema:
    connector = await repository.connector(session, connector_id)
    await session.commit()
    found = await service.schema(connector, settings)
    return ConnectorSchema(tables=found.tables, columns=found.columns, data_types=found.data_types)
