"""`render`: print the definition the app deploys, rendered offline with the SageMaker SDK."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pipeline_definition.build.config import pipeline_config
from pipeline_definition.build.render import DefinitionTooLargeError, render_definition
from pipeline_definition.commands import CommandError
from project.paths import RENDER_CACHE_DIR, staging_dir
from project.settings import SettingsError, project_settings


def configure(parser: argparse.ArgumentParser) -> None:
    """Add render's arguments."""
    parser.add_argument("--out", type=Path, help="write the definition here instead of stdout")
    parser.add_argument(
        "--staging-dir",
        type=Path,
        help="where to stage the code the definition refers to "
        "(default: build/pipeline-code/<pipeline name>)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="render with the SDK even when build/render-cache holds this exact render",
    )


def run(args: argparse.Namespace) -> int:
    """Render and print or write the definition."""
    try:
        settings = project_settings(os.environ)
    except SettingsError as error:
        raise CommandError(str(error)) from error
    staging = args.staging_dir or staging_dir(settings.pipeline_name)
    try:
        rendered = render_definition(
            pipeline_config(settings),
            staging,
            cache_dir=None if args.no_cache else RENDER_CACHE_DIR,
        )
    except (DefinitionTooLargeError, FileNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from error
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(rendered.body)
        print(f"wrote {args.out} ({len(rendered.body):,} characters)", file=sys.stderr)
    else:
        sys.stdout.write(rendered.body)
    print(f"code staged in {staging}", file=sys.stderr)
    return 0
