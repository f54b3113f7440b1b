"""Placeholder; the platform-post and match API (see center/api/__init__.py)."""
