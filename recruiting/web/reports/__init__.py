"""Insights: reports over what Closer has recorded (recruiting/web/reports/registry.py lists
them)."""
