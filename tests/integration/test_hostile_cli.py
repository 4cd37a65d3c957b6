"""Hostile-input suite, CLI part: hostile arguments and settings, and a local endpoint on
127.0.0.1 that answers garbage. Every invocation ends with one line and exit code 2: no
traceback, no control sequence from the answer on the terminal.

The counts are in the README's security section; `CASES` below is what they count.
"""

from __future__ import annotations

import argparse
import http.server
import io
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from rich.console import Console

from pipeline_definition import cli
from pipeline_definition.commands import CommandError
from pipeline_definition.commands import logs as logs_command
from pipeline_definition.commands import status as status_command
from pipeline_definition.operations.monitor import SystemClock
from pipeline_definition.operations.text import safe_lines

pytestmark = pytest.mark.integration

EXECUTION_ARN = (
    "arn:aws:sagemaker:us-east-1:123456789012:pipeline/house-price-mlops-pipeline/execution/run1"
)
COMMANDS = {
    "execute": ["execute"],
    "status": ["status", EXECUTION_ARN],
    "list": ["list"],
    "logs": ["logs", EXECUTION_ARN],
}


@dataclass
class Answer:
    """What the endpoint answers to every request."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/x-amz-json-1.1"


class GarbageEndpoint(http.server.ThreadingHTTPServer):
    """An HTTP server on loopback that gives every request the same (bad) answer."""

    answer = Answer()
    requests = 0


class _Handler(http.server.BaseHTTPRequestHandler):
    server: GarbageEndpoint

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests += 1
        answer = self.server.answer
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def endpoint() -> Iterator[GarbageEndpoint]:
    """The garbage endpoint, for the module; it stops with it."""
    server = GarbageEndpoint(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint: GarbageEndpoint) -> str:
    """Test credentials, one attempt per call, and the garbage endpoint; its URL."""
    url = f"http://127.0.0.1:{endpoint.server_address[1]}"
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "PIPELINE_NAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    endpoint.answer = Answer()
    return url


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in this process; a traceback would fail the test by itself."""
    try:
        code = cli.main(argv)
    except SystemExit as exited:  # argparse's usage errors
        code = exited.code if isinstance(exited.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_refusal(code: int, out: str, err: str, fragment: str) -> None:
    """Exit 2, a one-line reason holding `fragment` last on stderr, nothing raw from AWS."""
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    last = err.rstrip("\n").splitlines()[-1]
    assert "error:" in last
    assert fragment in last, last
    assert len(last) < 1000
    assert "\x1b" not in out + err


# --- answers no SageMaker gives ---------------------------------------------------------------

GARBAGE_BODIES = {
    "empty 200": Answer(body=b""),
    "invalid JSON 200": Answer(body=b"not json {"),
    "empty object 200": Answer(body=b"{}"),
    "JSON list 200": Answer(body=b"[1, 2, 3]"),
    "wrong types 200": Answer(
        body=b'{"PipelineDefinition": 5, "PipelineExecutionArn": 7, '
        b'"PipelineExecutionStatus": [], "PipelineExecutionSummaries": 5}'
    ),
    "HTML 200": Answer(body=b"<html><body>Welcome</body></html>", content_type="text/html"),
    "definition not JSON": Answer(body=b'{"PipelineDefinition": "{{{"}'),
    "definition nested deep": Answer(
        body=b'{"PipelineDefinition": "' + b"[" * 100_000 + b'"}',
    ),
}
GARBAGE_FRAGMENTS = {
    "execute": "DescribePipeline",
    "status": "DescribePipelineExecution",
    "list": "ListPipelineExecutions",
    "logs": "DescribePipelineExecution",
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("answer", list(GARBAGE_BODIES), ids=list(GARBAGE_BODIES))
def test_a_garbage_answer_ends_in_one_line_and_exit_2(
    environ: str,
    endpoint: GarbageEndpoint,
    capsys: pytest.CaptureFixture[str],
    command: str,
    answer: str,
) -> None:
    endpoint.answer = GARBAGE_BODIES[answer]

    code, out, err = run(COMMANDS[command], capsys)

    # The definition answers only matter to execute; the others stop at their own field.
    fragment = "error:" if answer.startswith("definition") else GARBAGE_FRAGMENTS[command]
    if answer in {"wrong types 200", "JSON list 200"}:
        fragment = "error:"
    assert_one_line_refusal(code, out, err, fragment)
    assert "No executions" not in out


ERROR_ANSWERS = {
    "HTML 503": (Answer(503, b"<html><h1>Service Unavailable</h1></html>", "text/html"), "503"),
    "empty 500": (Answer(500, b""), "error:"),
    "escape in message": (
        Answer(
            400,
            b'{"__type": "ValidationException", '
            b'"message": "\\u001b]0;pwned\\u0007\\u001b[2Jbad request"}',
        ),
        "\\x1b]0;pwned\\x07\\x1b[2Jbad request",
    ),
    "access denied": (
        Answer(400, b'{"__type": "AccessDeniedException", "message": "no"}'),
        "AccessDeniedException: no",
    ),
    "throttled": (
        Answer(400, b'{"__type": "ThrottlingException", "message": "slow down"}'),
        "ThrottlingException",
    ),
    "huge message": (
        Answer(400, b'{"__type": "ValidationException", "message": "' + b"x" * 500_000 + b'"}'),
        "ValidationException",
    ),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("answer", list(ERROR_ANSWERS), ids=list(ERROR_ANSWERS))
def test_an_error_answer_ends_in_one_line_and_exit_2(
    environ: str,
    endpoint: GarbageEndpoint,
    capsys: pytest.CaptureFixture[str],
    command: str,
    answer: str,
) -> None:
    endpoint.answer, fragment = ERROR_ANSWERS[answer]

    code, out, err = run(COMMANDS[command], capsys)

    assert_one_line_refusal(code, out, err, fragment)


# --- hostile arguments and settings (refused before any request) ------------------------------

HOSTILE_INVOCATIONS: dict[str, tuple[list[str], dict[str, str], str]] = {
    "region with spaces": (["list", "--region", "us east 1"], {}, "'us east 1' is not a region"),
    "region with a path": (["list", "--region", "evil.com/x"], {}, "'evil.com/x' is not a region"),
    "region with an escape": (["list", "--region", "us-\x1b[2J"], {}, "is not a region"),
    "AWS_REGION with a slash": (["list"], {"AWS_REGION": "../../etc"}, "is not a region"),
    "status region in the ARN": (
        ["status", "arn:aws:sagemaker:evil.com:123456789012:pipeline/p/execution/x"],
        {"AWS_REGION": ""},
        "is not a pipeline execution ARN",
    ),
    "AWS_MAX_ATTEMPTS=abc": (["list"], {"AWS_MAX_ATTEMPTS": "abc"}, "AWS_MAX_ATTEMPTS 'abc'"),
    "AWS_MAX_ATTEMPTS=-1": (["list"], {"AWS_MAX_ATTEMPTS": "-1"}, "AWS_MAX_ATTEMPTS '-1'"),
    "AWS_ENDPOINT_URL not a URL": (
        ["list"],
        {"AWS_ENDPOINT_URL": "not a url"},
        "AWS_ENDPOINT_URL 'not a url' is not an http(s) URL",
    ),
    "AWS_ENDPOINT_URL ftp": (["list"], {"AWS_ENDPOINT_URL": "ftp://x"}, "not an http(s) URL"),
    "AWS_ENDPOINT_URL no host": (["list"], {"AWS_ENDPOINT_URL": "http://"}, "not an http(s) URL"),
    "status of no ARN": (["status", "x"], {}, "is not a pipeline execution ARN"),
    "status of an ARN with escapes": (
        ["status", f"{EXECUTION_ARN}\x1b]0;t\x07"],
        {},
        "is not a pipeline execution ARN",
    ),
    "param without =": (["execute", "--param", "MaxDepth"], {}, "--param"),
    "param without a name": (["execute", "--param", "=5"], {}, "--param"),
    "display name with escapes": (
        ["execute", "--display-name", "run\x1b[2J", "--client-request-token", "t" * 32],
        {},
        "DescribePipeline",
    ),
    "token too short": (["execute", "--client-request-token", "short"], {}, "32-128"),
    "list limit 0": (["list", "--limit", "0"], {}, "--limit must be between 1 and 1000"),
    "list limit text": (["list", "--limit", "ten"], {}, "'ten' is not a whole number"),
    "timeout negative": (["execute", "--monitor", "--timeout", "-5"], {}, "greater than zero"),
    "unknown profile": (["list", "--profile", "nobody-has-this"], {}, "profile"),
}


@pytest.mark.parametrize("case", list(HOSTILE_INVOCATIONS), ids=list(HOSTILE_INVOCATIONS))
def test_hostile_arguments_end_in_one_line_and_exit_2(
    environ: str, endpoint: GarbageEndpoint, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    argv, settings, fragment = HOSTILE_INVOCATIONS[case]
    endpoint.answer = Answer(body=b"{}")

    with pytest.MonkeyPatch.context() as patch:
        for name, value in settings.items():
            if value:
                patch.setenv(name, value)
            else:
                patch.delenv(name, raising=False)
        code, out, err = run(argv, capsys)

    assert_one_line_refusal(code, out, err, fragment)


# --- CloudWatch Logs answering garbage while SageMaker answers well --------------------------

LOGS_ANSWERS = {
    **{name: (answer, "error:") for name, answer in GARBAGE_BODIES.items()},
    **ERROR_ANSWERS,
    "access denied": (ERROR_ANSWERS["access denied"][0], "access denied reading"),
}
LOG_READERS = ("logs", "status")
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def stubbed_sagemaker(command: str) -> tuple[Any, Stubber]:
    """SageMaker's good answers: a failed ProcessData step whose job logs to CloudWatch."""
    client = boto3.client(
        "sagemaker",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # never reached: the Stubber answers first
        config=Config(retries={"max_attempts": 1}),
    )
    stubber = Stubber(client)
    arn = {"PipelineExecutionArn": EXECUTION_ARN}
    stubber.add_response(
        "describe_pipeline_execution",
        {**arn, "PipelineExecutionStatus": "Failed", "CreationTime": T0},
        arn,
    )
    if command == "status":
        stubber.add_response(
            "list_pipeline_parameters_for_execution", {"PipelineParameters": []}, arn
        )
    job = "arn:aws:sagemaker:us-east-1:123456789012:processing-job/pipelines-run1-processdata-x"
    stubber.add_response(
        "list_pipeline_execution_steps",
        {
            "PipelineExecutionSteps": [
                {
                    "StepName": "ProcessData",
                    "StepStatus": "Failed",
                    "FailureReason": "AlgorithmError",
                    "Metadata": {"ProcessingJob": {"Arn": job}},
                }
            ]
        },
        {**arn, "SortOrder": "Ascending"},
    )
    return client, stubber


def run_with_logs_endpoint(
    command: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run `command` with SageMaker stubbed and CloudWatch Logs at the garbage endpoint."""
    argv = [command, EXECUTION_ARN]
    args: argparse.Namespace = cli.build_parser(command).parse_args(argv)
    module: Any = logs_command if command == "logs" else status_command
    client, stubber = stubbed_sagemaker(command)
    console = io.StringIO()
    with stubber:
        try:
            code = module.run(
                args,
                client=client,
                clock=SystemClock(),
                console=Console(file=console, width=200, soft_wrap=True),
                environ=dict(os.environ),
            )
        except CommandError as error:
            print(f"error: {safe_lines(error)}", file=sys.stderr)
            code = error.exit_code
    captured = capsys.readouterr()
    return code, captured.out + console.getvalue(), captured.err


@pytest.mark.parametrize("command", LOG_READERS)
@pytest.mark.parametrize("answer", list(LOGS_ANSWERS), ids=list(LOGS_ANSWERS))
def test_a_garbage_logs_answer_is_one_line_and_never_fails_status(
    environ: str,
    endpoint: GarbageEndpoint,
    capsys: pytest.CaptureFixture[str],
    command: str,
    answer: str,
) -> None:
    endpoint.answer, fragment = LOGS_ANSWERS[answer]

    code, out, err = run_with_logs_endpoint(command, capsys)

    if command == "logs":
        assert_one_line_refusal(code, out, err, fragment)
        return
    # status: the log is detail; one line says why it is missing, the command succeeds.
    assert code == 0, (out, err)
    assert "Traceback" not in out + err and "\x1b" not in out + err
    (reason,) = [line for line in out.splitlines() if "log unavailable:" in line]
    assert len(reason) < 1000
    assert "ProcessData failed: AlgorithmError" in out


# --- what the suite counts -------------------------------------------------------------------

CASES = (
    len(GARBAGE_BODIES) * len(COMMANDS)
    + len(ERROR_ANSWERS) * len(COMMANDS)
    + len(HOSTILE_INVOCATIONS)
    + len(LOGS_ANSWERS) * len(LOG_READERS)
)


def test_the_suite_holds_the_cases_the_readme_counts() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert f"{CASES} CLI invocations" in readme
