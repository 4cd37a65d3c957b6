"""`diff OLD NEW`: step-level changes between two pipeline definitions.

Each side is a definition JSON file, a `cdk.out` folder, a git ref (`git:REF` to insist), or
`deployed`. Exit code 0 means no change, 1 means changes, 2 means an error.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from pipeline_definition.commands import CommandError
from pipeline_definition.diff.compare import diff_definitions
from pipeline_definition.diff.formatting import FORMATS
from pipeline_definition.diff.model import DefinitionError
from pipeline_definition.diff.sources import (
    LoadedDefinition,
    SideOptions,
    SourceError,
    load_side,
    side_kind,
)
from pipeline_definition.model.limits import DefinitionLimitError, check_document

HELP = "show step-level changes between definitions"
EXIT_SAME = 0
EXIT_CHANGED = 1

SIDE_HELP = (
    "a definition JSON file, a synthesized cdk.out folder, a git ref (git:REF forces it) "
    "or 'deployed'"
)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add diff's arguments."""
    parser.epilog = "exit code: 0 no change, 1 changes, 2 error"
    parser.add_argument("old", metavar="OLD", help=f"the old side: {SIDE_HELP}")
    parser.add_argument("new", metavar="NEW", help=f"the new side: {SIDE_HELP}")
    parser.add_argument(
        "--format", choices=sorted(FORMATS), default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--pipeline",
        metavar="NAME",
        help="the PipelineName to compare when a cdk.out folder or template holds several",
    )
    parser.add_argument(
        "--pipeline-name",
        metavar="NAME",
        help="the deployed pipeline's name for 'deployed' (default: from the app settings)",
    )
    parser.add_argument(
        "--region", help="AWS region for 'deployed' (default: AWS_REGION, the profile's region)"
    )
    parser.add_argument(
        "--strict-placeholders",
        action="store_true",
        help="compare ${...} placeholders literally instead of matching them to resolved values",
    )


def _load_both(args: argparse.Namespace) -> tuple[LoadedDefinition, LoadedDefinition]:
    options = SideOptions(
        pipeline=args.pipeline, pipeline_name=args.pipeline_name, region=args.region
    )
    if side_kind(args.old) != "git" or side_kind(args.new) != "git":
        return load_side(args.old, options, os.environ), load_side(args.new, options, os.environ)
    # Rendering a git ref takes seconds of SDK import: two refs render side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        old = pool.submit(load_side, args.old, options, os.environ)
        new = pool.submit(load_side, args.new, options, os.environ)
        return old.result(), new.result()


def run(args: argparse.Namespace) -> int:
    """Compare the two sides and print the report; the exit code says whether they differ."""
    try:
        old, new = _load_both(args)
        for side in (old, new):
            check_document(side.definition, side.label)
        diff = diff_definitions(
            old.definition, new.definition, match_placeholders=not args.strict_placeholders
        )
        report = FORMATS[args.format](diff, old.label, new.label)
    except (SourceError, DefinitionError, DefinitionLimitError) as error:
        raise CommandError(str(error)) from error
    except Exception as error:
        # Exit code 1 means "changes": a crash must not read as one.
        raise CommandError(f"diff failed: {type(error).__name__}: {error}") from error
    sys.stdout.write(report)
    return EXIT_CHANGED if diff.has_changes else EXIT_SAME
