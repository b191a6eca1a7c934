"""merge the notify and alerts branches

Revision ID: 0007
Revises: 0005_notify, 0006_alerts
Create Date: 2026-11-25 10:45:00
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | Sequence[str] | None = ("0005_notify", "0006_alerts")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
