"""E-mail pages over SMTP (`IMAS_SMTP_HOST`, `_PORT`, `_USER`, `_PASSWORD`, `_FROM`,
`_STARTTLS`)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.notify.channels.base import Channel, ChannelError, Page


def message(sender: str, to: str, page: Page) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = f"[IMAS {page.severity}] {page.incident_short_id}: {page.title}"
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg["X-IMAS-Incident"] = page.incident_short_id
    msg.set_content(
        f"{page.text}\n\n"
        f"Incident: {page.incident_short_id}\n"
        f"Title: {page.title}\n"
        f"Severity: {page.severity}\n"
        f"Status: {page.status}\n\n"
        f"{page.url}\n"
    )
    return msg


class EmailChannel(Channel):
    kind = "email"

    async def send(self, session: AsyncSession, target: str, page: Page) -> str:
        return await deliver(self.settings, message(self.settings.smtp_from, target, page))


async def deliver(s: Settings, msg: EmailMessage) -> str:
    """Send `msg` through the configured SMTP server; its Message-ID."""
    try:
        await aiosmtplib.send(
            msg,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user,
            password=s.smtp_password,
            start_tls=s.smtp_starttls,
            use_tls=False,
            timeout=s.smtp_timeout_seconds,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise ChannelError(f"SMTP {s.smtp_host}:{s.smtp_port}: {exc}") from exc
    return str(msg["Message-ID"])
