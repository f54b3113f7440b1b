"""Indexes for the week's consultation figures (evaluations, closed follow-ups).

Revision ID: 2c7d1e4b9a10
Revises: 1a2ff10f148e
Create Date: 2026-11-30 02:40:00
"""
from alembic import op

revision = "2c7d1e4b9a10"
down_revision = "1a2ff10f148e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_consultations_evaluated_at", "consultations", ["evaluated_at"])
    op.create_index("ix_consultations_follow_up_closed_at", "consultations",
                    ["follow_up_closed_at"])


def downgrade():
    op.drop_index("ix_consultations_follow_up_closed_at", table_name="consultations")
    op.drop_index("ix_consultations_evaluated_at", table_name="consultations")
