"""Compiled plans: each validated query operation compiled once into closures that build its response.

readers.py finds how each field is read (once per schema), compile.py turns an operation into
steps, plans.py caches plans and runs them inside graphql-core's executor, falling back to
graphql-core's own execution for what plans do not cover.
"""

from newsgraph.api.plans.plans import PlannedExecution, Plans

__all__ = ["PlannedExecution", "Plans"]
