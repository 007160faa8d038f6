"""`python -m newsgraph` is the `newsgraph` command."""

from newsgraph.cli import run

run()
