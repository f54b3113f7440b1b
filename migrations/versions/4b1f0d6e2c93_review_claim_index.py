"""A partial index of the unassigned pre-review backlog by due date, for "claim next".

Revision ID: 4b1f0d6e2c93
Revises: 3e8a5c2f7b41
Create Date: 2026-11-30 03:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "4b1f0d6e2c93"
down_revision = "3e8a5c2f7b41"
branch_labels = None
depends_on = None

WAITING_UNASSIGNED = "state IN ('received', 'resubmitted') AND assigned_to_id IS NULL"


def upgrade():
    op.create_index("ix_review_submissions_unassigned_due", "review_submissions",
                    ["due_on", "id"], sqlite_where=sa.text(WAITING_UNASSIGNED),
                    postgresql_where=sa.text(WAITING_UNASSIGNED))


def downgrade():
    op.drop_index("ix_review_submissions_unassigned_due", table_name="review_submissions")
