"""shared addresses and the notifications outbox

Accounts may share an address: the first holds it (``users.email_holder``), the unique
constraint on ``users.email`` becomes a unique index over the holders only. Accounts record
the language they signed up in. The outbox (``outbox_messages``) keeps the mails to send.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOLDERS = sa.text("email_holder")


def _check_foreign_keys() -> None:
    # SQLite rebuilds ``users`` (copy, drop, rename) with foreign keys off (hub.migrate): make
    # sure every row that points at an account still finds it.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")


def upgrade() -> None:
    """Apply this revision."""
    # Every existing account holds its address (the address was unique until now).
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("email_holder", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch.add_column(sa.Column("language", sa.String(length=2), nullable=True))
        batch.drop_constraint("uq_users_email", type_="unique")
    _check_foreign_keys()
    op.create_index("ix_users_email", "users", ["email"])
    op.create_index(
        "uq_users_email_holder",
        "users",
        ["email"],
        unique=True,
        sqlite_where=HOLDERS,
        postgresql_where=HOLDERS,
    )
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", hub.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", hub.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", hub.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index("ix_outbox_messages_to_address", "outbox_messages", ["to_address"])
    unsent = sa.text("sent_at IS NULL")
    op.create_index(
        "ix_outbox_messages_due",
        "outbox_messages",
        ["next_attempt_at"],
        sqlite_where=unsent,
        postgresql_where=unsent,
    )


def downgrade() -> None:
    """Revert this revision; refused while accounts share an address (the old unique
    constraint could not hold): delete or re-address those that do not hold it first."""
    shared = op.get_bind().scalar(sa.text("SELECT count(*) FROM users WHERE NOT email_holder"))
    if shared:
        raise RuntimeError(
            f"{shared} accounts share an address with the account that holds it; the schema "
            "before 0010 allows one account per address: delete or re-address them first "
            "(SELECT id, email FROM users WHERE NOT email_holder)."
        )
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_to_address", table_name="outbox_messages")
    op.drop_table("outbox_messages")
    op.drop_index("uq_users_email_holder", table_name="users")
    op.drop_index("ix_users_email", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.create_unique_constraint("uq_users_email", ["email"])
        batch.drop_column("language")
        batch.drop_column("email_holder")
    _check_foreign_keys()
