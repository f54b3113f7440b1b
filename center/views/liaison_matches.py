"""Placeholder; see center/views/liaison.py."""
from center.views.liaison import bp  # noqa: F401
