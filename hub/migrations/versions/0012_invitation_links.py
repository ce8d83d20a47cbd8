"""invitations are accepted through their link's token, not by the address

Anyone may sign up with any address, so an invitation that waited for "the account holding
the e-mail" could be taken by whoever signed up with it first. An invitation now carries the
SHA-256 of a token sent in its link; only the link lets someone accept. Invitations still
waiting have no token: they can no longer be accepted, and inviting the address again mails a
link.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the token's digest."""
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("token_hash")
