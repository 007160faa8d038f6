"""Files on disk → parsed events → one store write: finding files, listing directories, parsing in workers.

What other rooms may use: the options and the report, the two ways to load (files, or texts), the
error for paths that hold nothing to load, and how a report shows a file's name.
"""

from newsgraph.load.finder import LoadUsageError, shown_name
from newsgraph.load.loading import load_files, load_texts
from newsgraph.load.report import DEFAULT_MAX_FILE_BYTES, DocumentOutcome, LoadFailed, LoadOptions, LoadReport

__all__ = ["DEFAULT_MAX_FILE_BYTES", "DocumentOutcome", "LoadFailed", "LoadOptions", "LoadReport", "LoadUsageError",
           "load_files", "load_texts", "shown_name"]
