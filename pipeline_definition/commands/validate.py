"""`validate`: check a definition against the SageMaker API model, offline.

Without FILE, the app's definition is rendered first, exactly as `render` does, into a
temporary staging folder so that validating never touches the build folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline_definition.build.config import pipeline_config
from pipeline_definition.build.render import DefinitionTooLargeError, render_definition
from pipeline_definition.check.validate import (
    ERROR,
    PIPELINE,
    WARNING,
    ValidationIssue,
    validate_definition,
)
from pipeline_definition.commands import CommandError
from pipeline_definition.model.graph import flatten_steps
from pipeline_definition.model.limits import (
    SERVICE_MAX_CHARACTERS,
    DefinitionLimitError,
    parse_definition_text,
)
from project.settings import SettingsError, project_settings


def configure(parser: argparse.ArgumentParser) -> None:
    """Add validate's arguments."""
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="the definition JSON to check, '-' for stdin (default: render the app's definition)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one issue per line and a summary; json: a list of issue objects",
    )
    parser.add_argument(
        "--sdk-typed-hyperparameters",
        choices=("error", "warn"),
        default="error",
        help="a typed parameter in a string hyperparameter, as the SDK's ModelTrainer writes "
        "it: an error (default) or a warning that does not fail the check",
    )


def run(args: argparse.Namespace) -> int:
    """Validate the definition; exit 0 when clean (warnings allowed), 1 when there are errors."""
    if args.file is None:
        source, definition, characters = "rendered definition", render_app_definition(), 0
    else:
        source = "<stdin>" if args.file == "-" else args.file
        definition, characters = read_definition(args.file)
    severity = WARNING if args.sdk_typed_hyperparameters == "warn" else ERROR
    issues = _size_issues(characters) + validate_definition(
        definition, typed_hyperparameters=severity
    )
    steps = (
        len(flatten_steps(definition, for_each_bodies=True)) if isinstance(definition, dict) else 0
    )
    errors = sum(1 for issue in issues if issue.severity == ERROR)
    warnings = len(issues) - errors
    summary = f"{source}: {_count(steps, 'step')} checked, {_count(errors, 'issue')}"
    if warnings:
        summary += f", {_count(warnings, 'warning')}"
    if args.format == "json":
        json.dump([asdict(issue) for issue in issues], sys.stdout, indent=2)
        sys.stdout.write("\n")
        print(summary, file=sys.stderr)
    else:
        for issue in issues:
            print(issue)
        print(summary)
    return 1 if errors else 0


def _size_issues(characters: int) -> list[ValidationIssue]:
    if characters <= SERVICE_MAX_CHARACTERS:
        return []
    message = (
        f"the definition has {characters:,} characters; the pipeline service accepts at most "
        f"{SERVICE_MAX_CHARACTERS:,}"
    )
    return [ValidationIssue(PIPELINE, "$", message, "out-of-range")]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def read_definition(file: str) -> tuple[Any, int]:
    """The parsed JSON of `file` ('-' reads stdin) and its length in characters.

    CommandError when it is unreadable, not JSON, or too large or deep to check.
    """
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise CommandError(f"{file}: no such file") from error
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{file}: cannot read it: {error}") from error
    try:
        return parse_definition_text(text, file), len(text)
    except DefinitionLimitError as error:
        raise CommandError(str(error)) from error
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{file}: not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from error


def render_app_definition() -> dict[str, Any]:
    """The app's definition, rendered offline as `render` does."""
    try:
        settings = project_settings(os.environ)
    except SettingsError as error:
        raise CommandError(str(error)) from error
    with tempfile.TemporaryDirectory(prefix="validate-") as staging_dir:
        try:
            rendered = render_definition(pipeline_config(settings), Path(staging_dir))
        except (DefinitionTooLargeError, FileNotFoundError, ValueError) as error:
            raise CommandError(str(error)) from error
        return rendered.definition
