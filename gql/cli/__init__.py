"""The `newsgraph` command line: its commands (main.py), their options (options.py), the load progress bar."""

from newsgraph.cli.main import run

__all__ = ["run"]
