"""Every domain's models, imported so that metadata (and Alembic) sees all tables."""
from center.models import (accounts, audit, calendar, consultations, directory,  # noqa: F401
                           liaison, notifications, reviews, venues, weekly)
