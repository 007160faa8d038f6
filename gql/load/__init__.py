"""Files on disk → parsed events → one store write: finding files, listing directories, parsing in workers.

What other rooms may use: the options and the report, and the two ways to load (files, or texts).
"""

from newsgraph.load.loading import load_files, load_texts
from newsgraph.load.report import DEFAULT_MAX_FILE_BYTES, DocumentOutcome, LoadFailed, LoadOptions, LoadReport

__all__ = ["DEFAULT_MAX_FILE_BYTES", "DocumentOutcome", "LoadFailed", "LoadOptions", "LoadReport", "load_files",
           "load_texts"]
