"""`python -m reporter`: the same command line as the `reporter` script."""

from reporter.cli.app import cli

cli()
