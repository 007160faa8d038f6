"""`python -m gql` is the `newsgraph` command."""

from gql.cli import run

run()
