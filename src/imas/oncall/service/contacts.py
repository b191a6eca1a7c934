"""A person's contact methods (how to reach them) and notification rules (which methods, for
which severities, after how long)."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import is_unique_violation
from imas.errors import Conflict, NotFound, ValidationFailed
from imas.oncall.models import ChannelKind, ContactMethod, NotificationRule
from imas.oncall.schemas import (
    ContactMethodCreate,
    ContactMethodUpdate,
    NotificationRuleCreate,
    NotificationRuleUpdate,
)
from imas.oncall.service.policies import check_channel_kind
from imas.orgs.models import User


def _check_target(kind: str, target: str) -> str:
    if kind == ChannelKind.EMAIL:
        try:
            return validate_email(target, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValidationFailed.field("target", f"not an e-mail address: {exc}") from None
    if kind == ChannelKind.WEBHOOK:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationFailed.field("target", "must be an http(s) URL")
    return target


async def _save(session: AsyncSession, method: ContactMethod) -> None:
    kind, target = method.kind, method.target
    try:
        async with session.begin_nested():
            session.add(method)
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise Conflict(
            f"You already have the {kind} contact method {target}.",
            error="Contact method already exists",
            details={"target": [f"'{target}' is taken"]},
        ) from None


async def get_method(session: AsyncSession, user: User, method_id: uuid.UUID) -> ContactMethod:
    method = await session.get(ContactMethod, method_id)
    if (
        method is None
        or method.user_id != user.id
        or method.organization_id != session.info.get("organization_id")
    ):
        raise NotFound.of("contact method", method_id)
    return method


async def create_method(
    session: AsyncSession, user: User, data: ContactMethodCreate
) -> ContactMethod:
    check_channel_kind(data.kind, "kind")
    method = ContactMethod(
        user_id=user.id,
        kind=data.kind,
        target=_check_target(data.kind, data.target),
        label=data.label,
    )
    await _save(session, method)
    return method


async def update_method(
    session: AsyncSession, method: ContactMethod, data: ContactMethodUpdate
) -> ContactMethod:
    if data.target is not None:
        method.target = _check_target(method.kind, data.target)
    if data.label is not None:
        method.label = data.label
    await _save(session, method)
    return method


async def delete_method(session: AsyncSession, method: ContactMethod) -> None:
    """Its notification rules go with it."""
    await session.delete(method)
    await session.flush()


async def get_rule(session: AsyncSession, user: User, rule_id: uuid.UUID) -> NotificationRule:
    rule = await session.get(NotificationRule, rule_id)
    if (
        rule is None
        or rule.user_id != user.id
        or rule.organization_id != session.info.get("organization_id")
    ):
        raise NotFound.of("notification rule", rule_id)
    return rule


async def create_rule(
    session: AsyncSession, user: User, data: NotificationRuleCreate
) -> NotificationRule:
    method = await session.get(ContactMethod, data.contact_method)
    if (
        method is None
        or method.user_id != user.id
        or method.organization_id != session.info.get("organization_id")
    ):
        raise ValidationFailed.field("contact_method", "You have no contact method with this ID.")
    rule = NotificationRule(
        user_id=user.id,
        contact_method_id=method.id,
        severities=[str(s) for s in dict.fromkeys(data.severities)],
        delay_minutes=data.delay_minutes,
    )
    session.add(rule)
    await session.flush()
    return rule


async def update_rule(
    session: AsyncSession, rule: NotificationRule, data: NotificationRuleUpdate
) -> NotificationRule:
    if data.severities is not None:
        rule.severities = [str(s) for s in dict.fromkeys(data.severities)]
    if data.delay_minutes is not None:
        rule.delay_minutes = data.delay_minutes
    await session.flush()
    return rule


async def delete_rule(session: AsyncSession, rule: NotificationRule) -> None:
    await session.delete(rule)
    await session.flush()
