"""The `newsgraph` command line: its commands (main.py), the load progress bar, exporting the archive."""
