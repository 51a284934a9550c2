"""Shared helpers at the bottom of Closer's layers: they import Django and other libraries,
never one of Closer's apps (docs/architecture.md)."""
