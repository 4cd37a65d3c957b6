"""`--version`: the project's version and the versions of what renders, synthesizes and runs it.

One line each: the project (pyproject.toml), Python, the SageMaker SDK, the AWS CDK library,
the CDK CLI (node_modules) and boto3. Read from files and package metadata only, so it answers
in a fraction of a second and never imports the SDK.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tomllib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from project.paths import CDK_CLI_PACKAGE, PYPROJECT

DISTRIBUTION = "house-price-mlops"
# (distribution on PyPI, what it is): the libraries that decide what a render produces.
LIBRARIES = (
    ("sagemaker", " (SageMaker Python SDK)"),
    ("aws-cdk-lib", " (AWS CDK library)"),
    ("boto3", ""),
)


def project_version(pyproject: Path = PYPROJECT) -> str:
    """The version in pyproject.toml; the installed metadata's when the file is not there."""
    try:
        project: dict[str, Any] = tomllib.loads(pyproject.read_text())["project"]
        return str(project["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        try:
            return metadata.version(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            return "unknown (no pyproject.toml and not installed)"


def library_version(distribution: str) -> str:
    """An installed distribution's version, or 'not installed'."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def cdk_cli_version(package: Path = CDK_CLI_PACKAGE) -> str | None:
    """The CDK CLI's version from node_modules; None when it is not installed."""
    try:
        return str(json.loads(package.read_text())["version"])
    except (OSError, KeyError, TypeError, json.JSONDecodeError):
        return None


def version_lines() -> list[str]:
    """The lines `--version` prints."""
    lines = [
        f"{DISTRIBUTION} {project_version()}",
        f"Python {platform.python_version()} ({sys.executable})",
    ]
    lines += [f"{name} {library_version(name)}{label}" for name, label in LIBRARIES]
    cli = cdk_cli_version()
    lines.append(
        f"aws-cdk {cli} (AWS CDK CLI, node_modules)"
        if cli
        else "aws-cdk not installed (AWS CDK CLI: `make install` runs npm ci)"
    )
    return lines


class VersionAction(argparse.Action):
    """Print the version lines and exit 0, like argparse's own version action."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "print the project's version and its SDK and CDK versions")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        """Print and exit."""
        print("\n".join(version_lines()))
        parser.exit()
