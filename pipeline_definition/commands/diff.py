"""`diff OLD NEW`: what a deploy would change, step by step, between two sides.

Each side is a definition JSON file, a `cdk.out` folder, a git ref (`git:REF` to insist), the
working tree (`WORKTREE` or a checkout folder such as `.`), or `deployed`. Exit code 0 means
no change, 1 means changes, 2 means an error.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from pipeline_definition.commands import CommandError
from pipeline_definition.diff.checkouts import repository_root, resolve_commit
from pipeline_definition.diff.formatting import FORMATS
from pipeline_definition.diff.model import DefinitionError
from pipeline_definition.diff.review import review
from pipeline_definition.diff.sources import (
    GIT_PREFIX,
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
    "a definition JSON file, a synthesized cdk.out folder, a git ref (git:REF forces it), "
    "WORKTREE (or a checkout folder such as .) or 'deployed'"
)
# Sides that take a while to load: they load side by side.
SLOW_KINDS = frozenset({"git", "worktree", "deployed"})
# Sides built from source, which take seconds each.
BUILT = frozenset({"git", "worktree"})


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
        "--profile", help="AWS profile for 'deployed' (default: AWS_PROFILE or the default chain)"
    )
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="render git refs and working trees without synthesizing them: quicker, but the "
        "pipeline resource (name, role, tags, ${...} values) is not compared",
    )
    parser.add_argument(
        "--strict-placeholders",
        action="store_true",
        help="compare ${...} placeholders literally instead of matching them to resolved values",
    )


def _same_source(old: str, new: str, kinds: tuple[str, str]) -> bool:
    """Whether both specs name the same thing, so that it is loaded once."""
    if old == new:
        return kinds[0] not in ("stdin", "worktree")
    if kinds != ("git", "git"):
        return False
    repo = repository_root(Path.cwd())
    commits = [resolve_commit(spec.removeprefix(GIT_PREFIX), repo) for spec in (old, new)]
    return commits[0] is not None and commits[0] == commits[1]


def _load_both(
    args: argparse.Namespace, workdir: Path
) -> tuple[LoadedDefinition, LoadedDefinition]:
    options = SideOptions(
        pipeline=args.pipeline,
        pipeline_name=args.pipeline_name,
        region=args.region,
        profile=args.profile,
        render_only=args.render_only,
        workdir=workdir,
    )
    kinds = (side_kind(args.old), side_kind(args.new))
    built = [spec for spec, kind in zip((args.old, args.new), kinds, strict=True) if kind in BUILT]
    if built:
        verb = "rendering" if args.render_only else "synthesizing"
        print(f"{verb} {' and '.join(dict.fromkeys(built))} ...", file=sys.stderr)
    if _same_source(args.old, args.new, kinds):
        loaded = load_side(args.old, options, os.environ)
        if args.new == args.old:
            return loaded, loaded
        ref = args.new.removeprefix(GIT_PREFIX)
        return loaded, replace(loaded, label=f"git:{ref} (the commit of {loaded.label})")
    if not SLOW_KINDS & set(kinds):
        return load_side(args.old, options, os.environ), load_side(args.new, options, os.environ)
    # Building a commit or reading AWS takes seconds: the two sides load side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        old = pool.submit(load_side, args.old, options, os.environ)
        new = pool.submit(load_side, args.new, options, os.environ)
        return old.result(), new.result()


def run(args: argparse.Namespace) -> int:
    """Compare the two sides and print the report; the exit code says whether they differ."""
    with tempfile.TemporaryDirectory(prefix="pipeline-diff-") as workdir:
        try:
            old, new = _load_both(args, Path(workdir))
            for side in (old, new):
                check_document(side.definition, side.label)
            diff = review(old, new, match_placeholders=not args.strict_placeholders)
            report = FORMATS[args.format](diff, old.label, new.label)
        except (SourceError, DefinitionError, DefinitionLimitError) as error:
            raise CommandError(str(error)) from error
        except Exception as error:
            # Exit code 1 means "changes": a crash must not read as one.
            raise CommandError(f"diff failed: {type(error).__name__}: {error}") from error
        sys.stdout.write(report)
    return EXIT_CHANGED if diff.has_changes else EXIT_SAME
