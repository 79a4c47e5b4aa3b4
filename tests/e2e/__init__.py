"""End-to-end tests (a package only so their module names cannot clash with tests/*.py)."""
