"""`python -m pipeline_definition COMMAND ...`: one entry point, one module per command.

Each command module exposes `configure(parser)` and `run(args) -> int`; its one-line help is in
COMMANDS below. Modules are imported when their command runs, so `--help` and light commands
never load the SageMaker SDK.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from pipeline_definition.commands import CommandError
from pipeline_definition.commands.version import VersionAction
from pipeline_definition.operations.text import safe_lines

PROG = "python -m pipeline_definition"

# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "render": ("pipeline_definition.commands.render", "print the pipeline definition JSON"),
    "validate": (
        "pipeline_definition.commands.validate",
        "check a definition against the SageMaker API model, offline",
    ),
    "diff": ("pipeline_definition.commands.diff", "show step-level changes between definitions"),
    "run-local": (
        "pipeline_definition.commands.run_local",
        "run the definition on this machine, no Docker, no AWS",
    ),
    "registry": (
        "pipeline_definition.commands.registry",
        "list, approve or reject versions in run-local's model registry",
    ),
    "execute": ("pipeline_definition.commands.execute", "start (and monitor) an execution"),
    "status": ("pipeline_definition.commands.status", "show an execution and its steps"),
    "list": ("pipeline_definition.commands.list_executions", "list recent executions"),
    "logs": (
        "pipeline_definition.commands.logs",
        "print a step's job log from CloudWatch Logs (--follow while it runs)",
    ),
}


class CommandModule(Protocol):
    """What a command module provides."""

    def configure(self, parser: argparse.ArgumentParser) -> None:
        """Add the command's arguments."""

    def run(self, args: argparse.Namespace) -> int:
        """Run the command; return the exit code."""


def _load(name: str) -> CommandModule:
    return cast(CommandModule, importlib.import_module(COMMANDS[name][0]))


def build_parser(command: str | None, prog: str = PROG) -> argparse.ArgumentParser:
    """The top-level parser; only the chosen command's module is imported."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Render, validate, diff, run locally and operate the SageMaker pipeline.",
    )
    parser.add_argument("--version", action=VersionAction)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if name == command:
            _load(name).configure(sub)
    return parser


def _failed(args: argparse.Namespace, message: str, exit_code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    if getattr(args, "json", False):
        # --json promises one object on stdout, failures included.
        print(json.dumps({"error": message, "exit_code": exit_code}))
    return exit_code


def main(argv: Sequence[str] | None = None, *, prog: str = PROG) -> int:
    """Parse arguments and run one command."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in arguments if a in COMMANDS), None)
    args = build_parser(command, prog).parse_args(arguments)
    try:
        if not getattr(args, "json", False):
            return _load(args.command).run(args)
        # --json: the object goes to the real stdout, everything else is printed to stderr.
        args.json_out = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):
            return _load(args.command).run(args)
    except CommandError as error:
        # Messages quote names, values and AWS's own words: control characters are escaped.
        return _failed(args, safe_lines(error), error.exit_code)
    except KeyboardInterrupt:
        return _failed(args, "interrupted", 130)
