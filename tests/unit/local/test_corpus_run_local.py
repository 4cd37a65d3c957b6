"""run-local on the SDK-rendered corpus: every definition runs or is refused cleanly.

Refused: before anything runs, with one line per problem that names the step and the reason.
Run: to an end, every failure with a one-line reason and none an internal error. The store
is seeded with what some entries read (a model archive, a script, test rows), so that their
Model, Transform, RegisterModel and Processing steps succeed; Lambda functions are mapped to a
local handler.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pipeline_definition.local.definition import load_definition
from pipeline_definition.local.errors import DefinitionError
from pipeline_definition.local.execution import new_execution
from pipeline_definition.local.executor import Executor
from pipeline_definition.local.results import StepStatus
from pipeline_definition.local.runner import prepare_parameters
from pipeline_definition.local.steps import KINDS, REFUSED
from pipeline_definition.local.store import LocalObjectStore
from pipeline_definition.local.workspace import Workspace
from project.paths import PROJECT_ROOT
from testsupport.corpus.catalogue import all_entries
from testsupport.corpus.session import BUCKET

from .test_local_transform import model_archive

ENTRIES = all_entries()
HANDLER = """
def handle(event, context):
    return {"count": 1, "status": "ok", "score": 0.5, "region": "us-east-1"}
"""
PREPARE = """
import sys
from pathlib import Path

for name in ("train", "report"):
    Path("/opt/ml/processing/output", name).mkdir(parents=True, exist_ok=True)
Path("/opt/ml/processing/output/train/part-0.csv").write_text("1,2\\n")
Path("/opt/ml/processing/output/report/report.json").write_text('{"rows": 1}')
print("prepared", sys.argv[1:])
"""


def seed(store: LocalObjectStore) -> None:
    """What the corpus's runnable steps read."""
    store.put_bytes(model_archive(), f"s3://{BUCKET}/model/model.tar.gz")
    store.put_bytes(b"1\n2\n", f"s3://{BUCKET}/test/rows.csv")
    store.put_bytes(b"a,b\n", f"s3://{BUCKET}/raw/data.csv")
    store.put_bytes(textwrap.dedent(PREPARE).encode(), f"s3://{BUCKET}/code/prepare/prepare.py")


def lambda_mappings(definition: dict[str, Any]) -> tuple[str, ...]:
    """A local handler for each Lambda function the definition calls."""
    names = set(re.findall(r":function:([\w-]+)", json.dumps(definition)))
    return tuple(f"{name}=corpus_handlers:handle" for name in sorted(names))


def outcome(definition: dict[str, Any], name: str, work: Path) -> tuple[str, list[str]]:
    """('refused', problems) or (the execution status, each failed step's reason)."""
    body = json.dumps(definition)
    try:
        loaded = load_definition(body, lambdas=lambda_mappings(definition))
    except DefinitionError as error:
        return "refused", list(error.problems)
    workspace = Workspace(work)
    store = LocalObjectStore(workspace.store)
    seed(store)
    values = prepare_parameters(loaded.parameters, (), store, None)
    result = Executor(
        loaded,
        workspace=workspace,
        execution=new_execution(name),
        parameters=values,
    ).run()
    reasons = [
        step.failure_reason or "" for step in result.steps if step.status == StepStatus.FAILED
    ]
    return result.status, reasons


@pytest.fixture
def handlers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The corpus's Lambda handler, importable from the folder run-local starts in."""
    (tmp_path / "corpus_handlers.py").write_text(textwrap.dedent(HANDLER))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
def test_each_definition_runs_or_is_refused_cleanly(
    corpus: dict[str, Any], entry: Any, handlers: Path
) -> None:
    status, lines = outcome(corpus[entry.name], entry.name, handlers / "work")
    assert status in ("refused", "Succeeded", "Failed", "CompletedWithFailures")
    for line in lines:
        assert line and "\n" not in line
        assert "Traceback" not in line and "internal error" not in line
    if status == "refused":
        assert all(line.startswith(("step '", "--lambda")) for line in lines), lines
        assert all(": " in line or " calls " in line or " has " in line for line in lines)


EXPECTED = {
    "processing": "Succeeded",
    "model-transform": "Succeeded",
    "register": "Succeeded",
    "lambda": "Succeeded",
    # The gate's branch ends in a Fail step, as the corpus builds it.
    "conditions": "Failed",
    # Its bootstrap code is not staged: the job fails on its missing input.
    "function-step": "Failed",
}


def test_the_runnable_entries_end_as_expected(corpus: dict[str, Any], handlers: Path) -> None:
    found = {
        entry.name: outcome(corpus[entry.name], entry.name, handlers / entry.name)[0]
        for entry in ENTRIES
    }
    ran = {name: status for name, status in found.items() if status != "refused"}
    assert ran == EXPECTED


def test_the_transform_entry_predicts_with_the_models_code(
    corpus: dict[str, Any], handlers: Path
) -> None:
    work = handlers / "work"
    assert outcome(corpus["model-transform"], "transform", work)[0] == "Succeeded"
    store = LocalObjectStore(Workspace(work).store)
    assert store.path(f"s3://{BUCKET}/predictions/rows.csv.out").read_text() == "2:2,4\n"


def test_every_step_type_runs_or_has_a_reason() -> None:
    from pipeline_definition.check.steps import STEP_TYPES

    assert set(KINDS) | set(REFUSED) == STEP_TYPES
    assert not set(KINDS) & set(REFUSED)


def test_the_readme_lists_the_kinds_that_run_and_why_the_others_do_not() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    for step_type, reason in REFUSED.items():
        assert f"| {step_type} | {reason} |" in readme, step_type
    ran = re.search(r"runs these step types locally: (?P<kinds>[^.]+)\.", readme)
    assert ran is not None
    assert ran["kinds"].replace("\n", " ").split(", ") == [f"{kind}" for kind in KINDS]
    flat = " ".join(readme.split())
    refused = len(ENTRIES) - len(EXPECTED)
    assert f"{len(EXPECTED)} of the {len(ENTRIES)} definitions run to an end" in flat
    assert f"and {refused} are refused up front" in flat
