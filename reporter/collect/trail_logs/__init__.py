"""Root events from a trail's log files: S3 objects, a local folder, or an Athena table (issue #7).

Entry points for the collector: `collect_from_s3`, `collect_from_dir`, `collect_from_athena`
(write the snapshot artifacts) and `athena_ddl` (the CREATE TABLE `reporter athena-ddl` prints).
"""

from reporter.collect.trail_logs.athena import athena_ddl, root_events_sql
from reporter.collect.trail_logs.snapshot_out import LISTING_API, ROOT_EVENTS_APIS, RootEventsSummary
from reporter.collect.trail_logs.sources import collect_from_athena, collect_from_dir, collect_from_s3

__all__ = [
    "LISTING_API",
    "ROOT_EVENTS_APIS",
    "RootEventsSummary",
    "athena_ddl",
    "collect_from_athena",
    "collect_from_dir",
    "collect_from_s3",
    "root_events_sql",
]
