"""`/api/v1/users/me/contact-methods/` and `/api/v1/users/me/notification-rules/`: how and
when you are paged."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from imas.api.deps import CurrentPrincipal, SessionDep
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.oncall import repository
from imas.oncall.models import ContactMethod, NotificationRule
from imas.oncall.schemas import (
    ContactMethodCreate,
    ContactMethodRead,
    ContactMethodUpdate,
    NotificationRuleCreate,
    NotificationRuleRead,
    NotificationRuleUpdate,
)
from imas.oncall.service import contacts as service

router = APIRouter(prefix="/api/v1/users/me", tags=["contact methods"])
NO_CONTENT = {
    "status_code": status.HTTP_204_NO_CONTENT,
    "response_class": Response,
}


@router.get(
    "/contact-methods/", response_model=Page[ContactMethodRead], summary="Your contact methods"
)
async def list_methods(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    pages: Annotated[PageParams, Depends(page_params)],
) -> Page[ContactMethodRead]:
    stmt = repository.contact_methods(principal.user.id).order_by(
        ContactMethod.created_at, ContactMethod.id
    )
    return await paginate(session, stmt, pages, request, ContactMethodRead.model_validate)


@router.post(
    "/contact-methods/",
    response_model=ContactMethodRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a way to reach you (kind: email, webhook, slack...)",
)
async def create_method(
    data: ContactMethodCreate, session: SessionDep, principal: CurrentPrincipal
) -> ContactMethodRead:
    method = await service.create_method(session, principal.user, data)
    return ContactMethodRead.model_validate(method)


@router.get("/contact-methods/{method_id}/", response_model=ContactMethodRead)
async def get_method(
    method_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ContactMethodRead:
    method = await service.get_method(session, principal.user, method_id)
    return ContactMethodRead.model_validate(method)


@router.patch("/contact-methods/{method_id}/", response_model=ContactMethodRead)
async def update_method(
    method_id: uuid.UUID,
    data: ContactMethodUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> ContactMethodRead:
    method = await service.get_method(session, principal.user, method_id)
    return ContactMethodRead.model_validate(await service.update_method(session, method, data))


@router.delete("/contact-methods/{method_id}/", **NO_CONTENT)  # type: ignore[arg-type]
async def delete_method(
    method_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    method = await service.get_method(session, principal.user, method_id)
    await service.delete_method(session, method)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _rule(rule: NotificationRule) -> NotificationRuleRead:
    return NotificationRuleRead(
        id=rule.id,
        contact_method=rule.contact_method_id,
        severities=rule.severities,
        delay_minutes=rule.delay_minutes,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


@router.get(
    "/notification-rules/",
    response_model=Page[NotificationRuleRead],
    summary="Your notification rules",
)
async def list_rules(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    pages: Annotated[PageParams, Depends(page_params)],
) -> Page[NotificationRuleRead]:
    stmt = repository.notification_rules(principal.user.id).order_by(
        NotificationRule.delay_minutes, NotificationRule.created_at, NotificationRule.id
    )
    return await paginate(session, stmt, pages, request, _rule)


@router.post(
    "/notification-rules/",
    response_model=NotificationRuleRead,
    status_code=status.HTTP_201_CREATED,
    summary="Page a contact method of yours, for some severities, after a delay",
)
async def create_rule(
    data: NotificationRuleCreate, session: SessionDep, principal: CurrentPrincipal
) -> NotificationRuleRead:
    return _rule(await service.create_rule(session, principal.user, data))


@router.get("/notification-rules/{rule_id}/", response_model=NotificationRuleRead)
async def get_rule(
    rule_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> NotificationRuleRead:
    return _rule(await service.get_rule(session, principal.user, rule_id))


@router.patch("/notification-rules/{rule_id}/", response_model=NotificationRuleRead)
async def update_rule(
    rule_id: uuid.UUID,
    data: NotificationRuleUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> NotificationRuleRead:
    rule = await service.get_rule(session, principal.user, rule_id)
    return _rule(await service.update_rule(session, rule, data))


@router.delete("/notification-rules/{rule_id}/", **NO_CONTENT)  # type: ignore[arg-type]
async def delete_rule(
    rule_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    rule = await service.get_rule(session, principal.user, rule_id)
    await service.delete_rule(session, rule)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
