"""Command-line plumbing shared by the step scripts: the parser and the one-line failure."""

from __future__ import annotations

import argparse
import logging
import sys


def step_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A parser whose --help shows every default and that refuses abbreviated options."""
    return argparse.ArgumentParser(
        prog=prog,
        description=description,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        allow_abbrev=False,
    )


def report_failure(logger: logging.Logger, step: str, error: BaseException) -> int:
    """Log `<step> failed: <error>`, print the same line to stderr, and return exit code 1."""
    logger.error("%s failed: %s", step, error)
    print(f"{step} failed: {error}", file=sys.stderr)
    return 1
