"""Live evidence collection: the only code that talks to AWS.

from reporter.collect import CollectOptions, collect
summary = collect(CollectOptions(out=Path("snap"), period_start=..., period_end=...))
"""

from reporter.collect.options import CollectOptions, CollectSummary
from reporter.collect.runner import CollectError, collect

__all__ = ["CollectError", "CollectOptions", "CollectSummary", "collect"]
