"""Demo and benchmark data: `manage.py seed_demo` (see docs/operations.md)."""
