"""The README's commands stay true: every shell command in its code blocks is run here or named
in MARKED with the reason it is not, and its samples of `run-local`, `validate`, `diff` and
`--version` are checked against real output.

What runs, runs in order in a copy of the checkout (a git repository of one commit, sharing
`.venv`, `node_modules` and the render cache), as a user would type it there. `run-local` as
`make run` runs it is the one full pipeline run of the module; the other runs reuse its cache.
Every `python -m pipeline_definition` command, run or not, must parse with the CLI's own parser,
every script command with its script's, and every `make` target must exist.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition import cli
from project.paths import PROJECT_ROOT, RENDER_CACHE_DIR
from testsupport.readme_commands import Command, blocks, commands, sample_mismatch
from testsupport.synthesis import AWS_ENVIRONMENT

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

README = (PROJECT_ROOT / "README.md").read_text()
COMMANDS = commands(README)
SAMPLE_CHECKOUT = "/home/me/house-price"
EXECUTION_ARN = (
    "arn:aws:sagemaker:us-east-1:123456789012:pipeline/house-price-mlops-pipeline/execution/run1"
)
# What the README's placeholders stand for when a command is parsed.
PLACEHOLDERS = {"<EXECUTION_ARN>": EXECUTION_ARN, "[--watch]": "--watch"}

AWS = "needs AWS credentials"
SLOW = "another long run"
INSTALLS = "installs"
SAMPLE = "a sample's command"
SETUP = "environment"
# (pattern, why it is not run here). The first that matches a command wins; the rest run.
MARKED: list[tuple[str, str, str]] = [
    (r"^export ", SETUP, "sets the environment of the commands after it in its block"),
    (
        r"^make (run|test|install|parity)\b",
        INSTALLS,
        "makes or updates .venv, which every developer here shares, then runs the pipeline or "
        "the suite this test belongs to",
    ),
    (
        r"^npx cdk synth\b",
        SLOW,
        "a CDK synth (~20 s): tests/conftest.py's `synthesis` fixture synthesizes the app the "
        "same way, offline, once per session",
    ),
    (r"^npx cdk (diff|deploy|bootstrap)\b", AWS, "CloudFormation in an AWS account"),
    (r"^aws ", AWS, "the AWS CLI against an account"),
    (
        r"pipeline_definition (execute|status|list|logs)\b",
        AWS,
        "the deployed pipeline and CloudWatch Logs; tests/integration/test_operations_cli.py, "
        "test_logs_cli.py and test_json_output.py run them against moto",
    ),
    (
        r"pipeline_definition diff deployed\b",
        AWS,
        "reads the deployed pipeline; tests/unit/diff/test_diff_sources.py reads it from moto",
    ),
    (
        r"pipeline_definition diff HEAD WORKTREE$",
        SAMPLE,
        "test_the_diff_sample_is_what_diff_prints runs it after the sample's edits",
    ),
    (
        r"pipeline_definition diff (git:)?main ",
        SLOW,
        "synthesizes two commits (~20 s); test_the_diff_sample_is_what_diff_prints builds "
        "HEAD and the working tree the same way",
    ),
    (
        r"run-local --parity",
        SLOW,
        "builds the images' environments (minutes); `make parity` runs it in CI",
    ),
    (
        r"render --no-cache$",
        SLOW,
        "a second SDK render (~6 s); tests/unit/build/test_render_cache.py compares a fresh "
        "render with a cached one",
    ),
    (
        r"pipeline_definition registry (list|approve 2|reject 2)",
        SAMPLE,
        "the sample's registry holds two versions, not this copy's; tests/unit/local/"
        "test_local_champion.py::test_the_registry_command_lists_approves_and_rejects runs them",
    ),
    (
        r"run-local --param NumRound=60$",
        SLOW,
        "trains again (~15 s) and fails the champion gate on purpose; tests/integration/"
        "test_run_local_champion.py runs this loop",
    ),
    (
        r"run-local --param NumRound=100",
        SLOW,
        "trains again (~15 s); tests/integration/test_run_local.py runs with --param NumRound",
    ),
    (
        r"run-local (--param InputData=path/|--input-data )",
        SLOW,
        "a full run on another input (~15 s); tests/integration/test_run_local.py runs on "
        "another InputData, tests/unit/local/test_local_cli.py with --input-data",
    ),
    (
        r"run-local --no-cache",
        SLOW,
        "the checked run's steps again without the cache (~15 s)",
    ),
    (
        r"examples\.batch_predictions|batch-predictions",
        SLOW,
        "tests/integration/test_run_local_batch_predictions.py builds and runs exactly this",
    ),
    (
        r"local-data/data/raw/sales\.csv",
        SLOW,
        "three runs (~40 s); tests/integration/test_run_local.py::"
        "test_a_new_version_of_the_same_object_runs_again makes the same three",
    ),
    (
        r"ml_scripts\.processing|ml_scripts/training/train\.py|ml_scripts\.evaluation"
        r"|^tar -czf out/",
        SLOW,
        "trains with the default rounds (~15 s); tests/integration/"
        "test_ml_scripts_end_to_end.py runs the same scripts, and their options are parsed here",
    ),
    (
        r"ml_scripts\.inference\.predict",
        SLOW,
        "needs your own raw.csv; tests/unit/ml_scripts/test_ml_inference.py runs predict, and "
        "its options are parsed here",
    ),
]
# The script commands whose options are checked with their own parsers.
SCRIPT_PARSERS = {
    "-m ml_scripts.processing": "ml_scripts.processing.preprocess",
    "ml_scripts/training/train.py": "ml_scripts.training.train",
    "-m ml_scripts.evaluation": "ml_scripts.evaluation.evaluate",
    "-m ml_scripts.inference.predict": "ml_scripts.inference.predict",
}


def marking(command: Command) -> tuple[str, str] | None:
    """(kind, reason) when the command is not run here; None when it runs."""
    for pattern, kind, reason in MARKED:
        if re.search(pattern, command.text):
            return kind, reason
    return None


def cli_arguments(command: Command) -> list[str] | None:
    """The arguments a pipeline_definition command passes to the CLI, placeholders filled."""
    text = command.text
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    words = shlex.split(text.split(">")[0])
    if words[:3] == ["python", "-m", "pipeline_definition"]:
        return words[3:]
    if words[:2] == ["python", "execute_pipeline.py"]:
        return ["execute", *words[2:]]
    return None


@dataclass(frozen=True)
class Ran:
    """A command as it ran in the copy of the checkout."""

    command: Command
    code: int
    stdout: str
    stderr: str


def copy_checkout(target: Path) -> Path:
    """The checkout's files (as git sees them) in `target`, made a repository of one commit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = PROJECT_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    # .venv is the environment running this test (make test-pythons uses .venv-3.X too).
    venv = Path(sys.prefix) if sys.prefix != sys.base_prefix else PROJECT_ROOT / ".venv"
    (target / ".venv").symlink_to(venv.resolve())
    if (PROJECT_ROOT / "node_modules").exists():
        (target / "node_modules").symlink_to((PROJECT_ROOT / "node_modules").resolve())
    if RENDER_CACHE_DIR.is_dir():
        shutil.copytree(RENDER_CACHE_DIR, target / "build" / "render-cache")
    git = ["git", "-c", "user.name=readme", "-c", "user.email=readme@example.com"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "the README's checkout"]):
        subprocess.run([*git, *step], cwd=target, check=True, capture_output=True)
    return target


def environment(checkout: Path) -> dict[str, str]:
    """This environment without AWS or app settings, with the copy's .venv first on PATH."""
    environ = {k: v for k, v in os.environ.items() if k not in AWS_ENVIRONMENT}
    environ["PATH"] = f"{checkout / '.venv' / 'bin'}:{os.environ['PATH']}"
    environ.pop("VIRTUAL_ENV", None)
    return environ


def shell(checkout: Path, command: Command, timeout: float = 300) -> Ran:
    """Run a README command in the copy as bash would, after its block's exports."""
    script = "\n".join([*command.exports, command.text])
    completed = subprocess.run(
        ["bash", "-c", script],
        cwd=checkout,
        env=environment(checkout),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Ran(command, completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout to run the README's commands in."""
    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("the README's commands run in a copy of a git checkout; this is none")
    return copy_checkout(tmp_path_factory.mktemp("readme") / "house-price")


@pytest.fixture(scope="module")
def ran(checkout: Path) -> list[Ran]:
    """Every command that is not marked, in the README's order (~40 s, one full pipeline run)."""
    return [shell(checkout, command) for command in COMMANDS if marking(command) is None]


def the_run(ran: list[Ran], text: str) -> Ran:
    """The result of the README command `text`."""
    return next(r for r in ran if r.command.text == text)


def test_every_command_runs_here_or_says_why_not() -> None:
    kinds = {command.text: marking(command) for command in COMMANDS}
    running = [text for text, kind in kinds.items() if kind is None]

    assert len(COMMANDS) > 40
    assert "python -m pipeline_definition run-local" in running
    assert all(reason for _, _, reason in MARKED)
    # Every rule still matches a command, so none outlives what it was written for.
    for pattern, _, _ in MARKED:
        assert any(re.search(pattern, command.text) for command in COMMANDS), pattern


def test_every_pipeline_definition_command_parses() -> None:
    checked = 0
    for command in COMMANDS:
        arguments = cli_arguments(command)
        if arguments is None:
            continue
        if arguments and arguments[0].startswith("--"):
            continue  # --version and --help: run below
        parser = cli.build_parser(arguments[0])
        try:
            parser.parse_args(arguments)
        except SystemExit as exited:
            pytest.fail(f"README line {command.line}: {command.text!r} does not parse ({exited})")
        checked += 1
    assert checked >= 25


def test_every_script_command_parses_with_its_own_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)
    checked = set()
    for command in COMMANDS:
        for invocation, module_name in SCRIPT_PARSERS.items():
            if f"python {invocation} " not in f"{command.text} ":
                continue
            module = __import__(module_name, fromlist=["parse_args"])
            arguments = command.text.split(invocation, 1)[1].split()
            try:
                module.parse_args(arguments)
            except SystemExit as exited:
                pytest.fail(f"README line {command.line}: {arguments} ({exited})")
            checked.add(invocation)
    assert checked == set(SCRIPT_PARSERS)


def test_every_make_target_exists() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    used = {c.words[1] for c in COMMANDS if c.words[0] == "make"}
    assert used and used <= targets


def test_the_commands_that_need_no_aws_run(ran: list[Ran]) -> None:
    assert len(ran) >= 9
    for result in ran:
        where = f"README line {result.command.line}: {result.command.text}"
        assert result.code == 0, f"{where}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, where


def test_run_local_prints_the_readmes_sample(ran: list[Ran]) -> None:
    run = the_run(ran, "python -m pipeline_definition run-local")
    sample = next(b for b in blocks(README) if b.text.startswith("execution local-"))

    assert sample_mismatch(sample.text, run.stdout) is None, run.stdout


def test_runs_on_the_cache_and_json_say_what_the_readme_says(
    ran: list[Ran], checkout: Path
) -> None:
    plain = the_run(ran, "python -m pipeline_definition run-local --plain")
    summary = json.loads((checkout / ".local" / "summary.json").read_text())

    assert "ProcessData          cached in" in plain.stdout
    assert "ProcessData: cache hit from local-" in plain.stdout
    assert summary["status"] == "Succeeded"
    assert summary["exit_code"] == 0
    assert summary["registry"][0]["approval_status"] == "PendingManualApproval"
    # With a champion in the registry its figures join the model's, named by their path.
    values = summary["metrics"][0]["values"]
    rmse = values.get("rmse", values.get("regression_metrics.rmse"))
    assert rmse is not None and 0 < rmse < 0.15


def test_the_version_sample_is_what_version_prints(ran: list[Ran], checkout: Path) -> None:
    run = the_run(ran, "python -m pipeline_definition --version")
    sample = next(
        b for b in blocks(README) if b.text.startswith("$ python -m pipeline_definition --version")
    )

    expected = "\n".join(sample.text.splitlines()[1:])
    assert sample_mismatch(expected, run.stdout, {SAMPLE_CHECKOUT: str(checkout)}) is None, (
        run.stdout
    )


def _break_definition(definition: dict[str, Any]) -> None:
    """The three defects of the validate sample."""
    train = definition["Steps"][1]["Arguments"]
    train["AlgorithmSpecification"]["TrainingInputMode"] = "Files"
    train["ResourceConfig"]["InstanceCount"] = {"Get": "Parameters.TrainingInstanceType"}
    condition = definition["Steps"][3]["Arguments"]["Conditions"][0]
    condition["LeftValue"]["Std:JsonGet"]["PropertyFile"] = {
        "Get": "Steps.EvaluateModel.PropertyFiles.Evaluation"
    }


def _sample_of(command: str) -> tuple[Command, str]:
    """A plain sample block that starts with `$ command`: the command and its output."""
    block = next(b for b in blocks(README) if b.text.startswith(f"$ {command}"))
    lines = block.text.splitlines()
    return Command(block.line + 1, command), "\n".join(lines[1:])


def _with_edits(checkout: Path, edits: Callable[[], None], command: Command) -> Ran:
    try:
        edits()
        return shell(checkout, command)
    finally:
        subprocess.run(["git", "checkout", "-q", "--", "."], cwd=checkout, check=True)


def test_the_validate_sample_is_what_validate_prints(ran: list[Ran], checkout: Path) -> None:
    command, expected = _sample_of("python -m pipeline_definition validate build/definition.json")
    path = checkout / "build" / "definition.json"
    original = path.read_text()
    broken = json.loads(original)
    _break_definition(broken)
    try:
        path.write_text(json.dumps(broken))
        run = shell(checkout, command)
    finally:
        path.write_text(original)

    assert run.code == 1
    assert sample_mismatch(expected, run.stdout + run.stderr) is None, run.stdout + run.stderr


def test_the_diff_sample_is_what_diff_prints(ran: list[Ran], checkout: Path) -> None:
    command = next(
        c for c in COMMANDS if c.text == "python -m pipeline_definition diff HEAD WORKTREE"
    )
    sample = next(b for b in blocks(README) if b.text.startswith("Pipeline definition diff:"))
    hyperparameters = checkout / "ml_scripts" / "training" / "hyperparameters.py"
    cdk_json = checkout / "cdk.json"

    def edits() -> None:
        text = hyperparameters.read_text()
        assert "early_stopping_rounds: int = 200" in text
        hyperparameters.write_text(text.replace("rounds: int = 200", "rounds: int = 100"))
        app = json.loads(cdk_json.read_text())
        app["context"] |= {"pipelineName": "house-price-nightly", "s3Bucket": "team-ml-data-bucket"}
        cdk_json.write_text(json.dumps(app, indent=2))

    run = _with_edits(checkout, edits, command)

    assert run.code == 1, run.stderr
    values = {SAMPLE_CHECKOUT: str(checkout)}
    assert sample_mismatch(sample.text, run.stdout, values) is None, run.stdout
