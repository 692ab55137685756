"""Checks: pure functions over evidence tables, each registered with its metadata."""

# Importing the modules registers their checks in registry.CHECKS, in this order.
from reporter.checks import root, iam_users, password_policy  # noqa: F401, I001
from reporter.checks import trail, alerting, organization, consistency  # noqa: F401
