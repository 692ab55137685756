"""reporter: monthly AWS root-usage and credential-hygiene audit packs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("compliance-reporter")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
