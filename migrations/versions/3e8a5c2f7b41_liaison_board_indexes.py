"""Indexes for the liaison board: newest first without a sort, counts from the index alone.

Revision ID: 3e8a5c2f7b41
Revises: 2c7d1e4b9a10
Create Date: 2026-11-30 02:50:00
"""
from alembic import op

revision = "3e8a5c2f7b41"
down_revision = "2c7d1e4b9a10"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_liaison_posts_published", "liaison_posts",
                    ["state", "published_at", "id"])
    op.create_index("ix_liaison_posts_board_counts", "liaison_posts",
                    ["state", "expires_on", "region_id", "kind", "category"])


def downgrade():
    op.drop_index("ix_liaison_posts_board_counts", table_name="liaison_posts")
    op.drop_index("ix_liaison_posts_published", table_name="liaison_posts")
