"""`/api/v1/kubernetes/`: registered clusters (seed 002's `/kubernetes/clusters`) and the kept
snapshot of their nodes and pods. Reading needs `incident:read`, a sync now `incident:write`,
registering or changing a cluster `admin`. Credentials are write-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from imas.api.deps import SessionDep, SettingsDep, require
from imas.api.pagination import PageParams, page_params, paginate
from imas.auth.scopes import ADMIN, INCIDENT_READ, INCIDENT_WRITE
from imas.auth.service import Principal
from imas.db import utcnow
from imas.errors import NotFound
from imas.kubernetes import jobs as _jobs  # noqa: F401  (the sync job's handler, for `imas serve`)
from imas.kubernetes import presenters, repository
from imas.kubernetes.models import ClusterStatus
from imas.kubernetes.schemas import (
    ClusterCreate,
    ClusterList,
    ClusterRead,
    ClusterUpdate,
    NodeList,
    PodList,
)
from imas.kubernetes.service import clusters as service
from imas.kubernetes.service import sync

Reader = Annotated[Principal, Depends(require(INCIDENT_READ))]
Responder = Annotated[Principal, Depends(require(INCIDENT_WRITE))]
Admin = Annotated[Principal, Depends(require(ADMIN))]
ClusterName = Annotated[str, Path(max_length=100)]
Pages = Annotated[PageParams, Depends(page_params)]

router = APIRouter(prefix="/api/v1/kubernetes", tags=["kubernetes"])


@router.get("/clusters/", response_model=ClusterList, summary="Registered clusters")
async def list_clusters(
    request: Request, session: SessionDep, _: Reader, pages: Pages
) -> ClusterList:
    page = await paginate(session, repository.clusters(), pages, request, presenters.cluster)
    return ClusterList(
        count=page.count, next=page.next, previous=page.previous, clusters=page.results
    )


@router.post(
    "/clusters/",
    response_model=ClusterRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register a cluster (credentials stored encrypted, never returned); syncs at once",
)
async def create_cluster(
    data: ClusterCreate, session: SessionDep, settings: SettingsDep, principal: Admin
) -> ClusterRead:
    return presenters.cluster(await service.create(session, data, principal.user, settings))


@router.get("/clusters/{name}/", response_model=ClusterRead, summary="A cluster")
async def get_cluster(name: ClusterName, session: SessionDep, _: Reader) -> ClusterRead:
    return presenters.cluster(await repository.cluster_named(session, name))


@router.patch("/clusters/{name}/", response_model=ClusterRead, summary="Change a cluster")
async def patch_cluster(
    name: ClusterName,
    data: ClusterUpdate,
    session: SessionDep,
    settings: SettingsDep,
    _: Admin,
) -> ClusterRead:
    cluster = await repository.cluster_named(session, name)
    return presenters.cluster(await service.update(session, cluster, data, settings))


@router.delete(
    "/clusters/{name}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Forget a cluster and its snapshot",
)
async def delete_cluster(name: ClusterName, session: SessionDep, _: Admin) -> Response:
    await service.delete(session, await repository.cluster_named(session, name))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/clusters/{name}/refresh/",
    response_model=ClusterRead,
    summary="Sync now: the cluster with its new status (`unreachable`, `unauthorized` and "
    "`last_error` when it failed; the last snapshot is kept)",
)
async def refresh_cluster(
    name: ClusterName, session: SessionDep, settings: SettingsDep, _: Responder
) -> ClusterRead:
    cluster = await repository.cluster_named(session, name)
    conn = sync.connection(cluster, settings)
    await session.commit()  # no transaction held while the API server answers (or not)
    started = utcnow()
    outcome = await sync.take(cluster, conn, settings)
    found = await sync.record(session, cluster.id, outcome, started)
    if found is None:
        raise NotFound(f"The cluster '{name}' was deleted during the sync.")
    return presenters.cluster(found)


@router.get(
    "/clusters/{name}/nodes/", response_model=NodeList, summary="The cluster's nodes (snapshot)"
)
async def list_nodes(
    name: ClusterName, request: Request, session: SessionDep, _: Reader, pages: Pages
) -> NodeList:
    cluster = await repository.cluster_named(session, name)
    page = await paginate(session, repository.nodes(cluster.id), pages, request, presenters.node)
    return NodeList(
        cluster=cluster.name,
        status=ClusterStatus(cluster.status),
        synced_at=cluster.last_synced_at,
        count=page.count,
        next=page.next,
        previous=page.previous,
        nodes=page.results,
    )


@router.get(
    "/clusters/{name}/pods/", response_model=PodList, summary="The cluster's pods (snapshot)"
)
async def list_pods(
    name: ClusterName,
    request: Request,
    session: SessionDep,
    _: Reader,
    pages: Pages,
    namespace: Annotated[str | None, Query(max_length=253)] = None,
    pod_status: Annotated[
        str | None,
        Query(
            alias="status",
            max_length=200,
            description="The phase (Running, Pending...) or the reason (CrashLoopBackOff...)",
        ),
    ] = None,
) -> PodList:
    cluster = await repository.cluster_named(session, name)
    stmt = repository.pods(cluster.id, namespace=namespace, status=pod_status)
    page = await paginate(session, stmt, pages, request, lambda row: presenters.pod(row, {}))
    named = await repository.services_named(session, {p.service for p in page.results if p.service})
    for pod in page.results:
        pod.service_id = named.get(pod.service) if pod.service else None
    return PodList(
        cluster=cluster.name,
        status=ClusterStatus(cluster.status),
        synced_at=cluster.last_synced_at,
        count=page.count,
        next=page.next,
        previous=page.previous,
        pods=page.results,
    )


routers: list[APIRouter] = [router]
