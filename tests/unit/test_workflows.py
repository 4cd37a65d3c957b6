"""The GitHub Actions workflows: actionlint-clean, pinned, least privilege, and doing their job."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline_definition.local.parity.locks import load_locks, lock_for_image
from project.paths import PROJECT_ROOT
from testsupport.definitions import shipped_definition_text
from testsupport.pythons import supported_pythons

GITHUB = PROJECT_ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"
EXPECTED = {"ci.yml", "pr-diff.yml", "deploy.yml", "run-pipeline.yml"}
AWS_CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials"
PINNED_USES = re.compile(
    r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})"
    r" # (?P<version>v\d+(?:\.\d+){0,2})\s*$"
)
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:")
PIPELINE_PARAMETERS = (
    "InputData",
    "ProcessingInstanceType",
    "TrainingInstanceType",
    "MaxDepth",
    "Eta",
    "NumRound",
)
# Deploy-time controls (project/controls.py): no workflow input may offer them to a run.
CONTROLS = ("RmseThreshold", "ModelApprovalStatus")


def load(path: Path) -> dict[str, Any]:
    """A workflow parsed; PyYAML reads the `on` key as True, so it is renamed back."""
    parsed: dict[Any, Any] = yaml.safe_load(path.read_text())
    if True in parsed:
        parsed["on"] = parsed.pop(True)
    return {str(key): value for key, value in parsed.items()}


@pytest.fixture(scope="module")
def workflows() -> dict[str, dict[str, Any]]:
    return {path.name: load(path) for path in WORKFLOW_FILES}


def steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every step of every job, with its job id."""
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def run_text(workflow: dict[str, Any]) -> str:
    """All `run:` scripts of a workflow, joined."""
    return "\n".join(step.get("run", "") for _, step in steps(workflow))


def uses(workflow: dict[str, Any], action: str) -> list[tuple[str, dict[str, Any]]]:
    """The steps (with job ids) that use `action`, whatever its ref."""
    return [(j, s) for j, s in steps(workflow) if s.get("uses", "").split("@")[0] == action]


def run_actionlint(directory: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    """Run actionlint on `files` with the project's configuration."""
    if not ACTIONLINT.is_file():
        pytest.fail(f"actionlint is missing at {ACTIONLINT}; run make install")
    return subprocess.run(
        [
            str(ACTIONLINT),
            "-no-color",
            "-config-file",
            str(GITHUB / "actionlint.yaml"),
            *map(str, files),
        ],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_four_workflows_exist() -> None:
    assert {path.name for path in WORKFLOW_FILES} >= EXPECTED


def test_actionlint_finds_nothing() -> None:
    result = run_actionlint(PROJECT_ROOT, WORKFLOW_FILES)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_knows_the_pinned_versions(tmp_path: Path) -> None:
    # actionlint checks inputs and deprecated runtimes (node20) only for the version tags it
    # knows; the same workflows with each SHA swapped for its major tag get those checks.
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    for path in WORKFLOW_FILES:
        text = re.sub(r"@[0-9a-f]{40} # (v\d+)[.\d]*", r"@\1", path.read_text())
        (target / path.name).write_text(text)
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)

    result = run_actionlint(tmp_path, sorted(target.glob("*.yml")))

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if USES_LINE.match(line)]

    assert lines
    for line in lines:
        assert PINNED_USES.match(line), f"not pinned to a SHA with a # vX comment: {line.strip()}"


def test_one_sha_per_action_version() -> None:
    pins: dict[tuple[str, str], set[str]] = {}
    versions: dict[str, set[str]] = {}
    for path in WORKFLOW_FILES:
        for line in path.read_text().splitlines():
            match = PINNED_USES.match(line)
            if match:
                pins.setdefault((match["action"], match["version"]), set()).add(match["sha"])
                versions.setdefault(match["action"], set()).add(match["version"])

    assert all(len(shas) == 1 for shas in pins.values()), pins
    assert all(len(found) == 1 for found in versions.values()), versions


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_least_privilege_permissions(workflows: dict[str, dict[str, Any]], name: str) -> None:
    workflow = workflows[name]

    assert "permissions" in workflow
    top = workflow["permissions"]
    assert top in ({}, {"contents": "read"}), top
    for job in workflow["jobs"].values():
        assert job.get("permissions", {}) != "write-all"
        assert "write-all" not in str(job.get("permissions", ""))
    assert "write-all" not in (WORKFLOWS / name).read_text()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_job_has_a_timeout(workflows: dict[str, dict[str, Any]], name: str) -> None:
    for job_id, job in workflows[name]["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), job_id


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_expressions_inside_scripts(workflows: dict[str, dict[str, Any]], name: str) -> None:
    # Untrusted text (titles, branch names, inputs) reaches scripts only through env:.
    for job_id, step in steps(workflows[name]):
        assert "${{" not in step.get("run", ""), (job_id, step.get("name"))
        assert "${{" not in step.get("with", {}).get("script", ""), (job_id, step.get("name"))
    assert "github.event" not in run_text(workflows[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_aws_only_through_oidc_roles(workflows: dict[str, dict[str, Any]], name: str) -> None:
    workflow = workflows[name]
    text = (WORKFLOWS / name).read_text()

    assert "AWS_ACCESS_KEY_ID" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text
    assert "aws-access-key-id" not in text
    for job_id, step in uses(workflow, AWS_CREDENTIALS_ACTION):
        assert step["with"]["role-to-assume"].startswith("${{ vars.AWS_")
        assert step["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
        assert workflow["jobs"][job_id]["permissions"]["id-token"] == "write"


def test_workflows_that_touch_aws_use_the_credentials_action(
    workflows: dict[str, dict[str, Any]],
) -> None:
    calling_aws = {
        name
        for name, workflow in workflows.items()
        if re.search(r"\bcdk (deploy|diff)\b|pipeline_definition execute", run_text(workflow))
    }

    assert calling_aws == {"pr-diff.yml", "deploy.yml", "run-pipeline.yml"}
    assert all(uses(workflows[name], AWS_CREDENTIALS_ACTION) for name in calling_aws)
    assert not uses(workflows["ci.yml"], AWS_CREDENTIALS_ACTION)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pip_and_npm_are_cached(workflows: dict[str, dict[str, Any]], name: str) -> None:
    workflow = workflows[name]
    for job_id, job in workflow["jobs"].items():
        scripts = "\n".join(step.get("run", "") for step in job["steps"])
        if "make install" not in scripts:
            continue
        (python,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-")]
        assert python["uses"].startswith("actions/setup-python@")
        assert python["with"]["cache"] == "pip"
        assert python["with"]["cache-dependency-path"].split() == [
            "requirements*.txt",
            "constraints.txt",
        ]
        (npm,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/cache@")]
        assert npm["with"]["path"] == "~/.npm"
        assert "hashFiles('package-lock.json')" in npm["with"]["key"], job_id


def python_versions(job: dict[str, Any]) -> list[str]:
    """The Python versions a job sets up: its matrix's, or the one its setup-python step names."""
    (setup,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@")]
    version = str(setup["with"]["python-version"])
    if version == "${{ matrix.python-version }}":
        return [str(v) for v in job["strategy"]["matrix"]["python-version"]]
    # A multi-line value sets up several; the last one is the default `python`.
    return version.split()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_make_uses_the_python_that_was_set_up(
    workflows: dict[str, dict[str, Any]], name: str
) -> None:
    # make takes the newest supported Python on the PATH, and the runner ships its own 3.12:
    # PYTHON names the one setup-python installed (and whose pip downloads are cached).
    for job_id, job in workflows[name]["jobs"].items():
        if "make install" not in "\n".join(step.get("run", "") for step in job["steps"]):
            continue
        versions = python_versions(job)
        python = job["env"]["PYTHON"]

        assert set(versions) <= set(supported_pythons()), job_id
        if "strategy" in job:
            assert python == "python${{ matrix.python-version }}", job_id
        else:
            assert python == f"python{versions[-1]}", job_id


def test_ci_tests_on_every_supported_python(workflows: dict[str, dict[str, Any]]) -> None:
    test = workflows["ci.yml"]["jobs"]["test"]
    scripts = [step.get("run", "").strip() for step in test["steps"]]

    assert python_versions(test) == supported_pythons()
    assert test["strategy"]["fail-fast"] is False
    # Ubuntu's chromium package is a snap transition: the browser test uses the runner's Chrome.
    assert test["env"]["CHROMIUM"] == "/usr/bin/google-chrome"
    assert [s for s in scripts if s.startswith("make")] == ["make install", "make test"]


def test_ci_lints_synthesizes_and_scans_once_at_the_oldest_python(
    workflows: dict[str, dict[str, Any]],
) -> None:
    ci = workflows["ci.yml"]
    build = ci["jobs"]["build"]
    scripts = [step.get("run", "").strip() for step in build["steps"]]

    assert set(ci["on"]) == {"pull_request", "push"}
    assert ci["on"]["push"]["branches"] == ["main"]
    assert set(ci["jobs"]) == {"test", "build", "parity"}
    assert python_versions(build) == supported_pythons()[:1]
    targets = ["make install", "make lint", "make synth", "make security"]
    assert [s for s in scripts if s.startswith("make")] == targets
    ((_, upload),) = uses(ci, "actions/upload-artifact")
    assert upload["with"]["path"] == "cdk.out"


def test_ci_runs_the_pipeline_in_the_images_python(workflows: dict[str, dict[str, Any]]) -> None:
    parity = workflows["ci.yml"]["jobs"]["parity"]
    scripts = [step.get("run", "").strip() for step in parity["steps"]]
    locks = load_locks()
    images = set(
        re.findall(r'"(?:ImageUri|TrainingImage|Image)": "([^"]+)"', shipped_definition_text())
    )
    image_pythons = {lock_for_image(image, locks).python for image in images}

    assert image_pythons <= set(python_versions(parity))
    assert python_versions(parity)[-1] == supported_pythons()[0]
    assert [s for s in scripts if s.startswith("make")] == ["make install", "make parity"]


def test_pr_diff_posts_one_updated_comment(workflows: dict[str, dict[str, Any]]) -> None:
    workflow = workflows["pr-diff.yml"]
    scripts = run_text(workflow)

    assert set(workflow["on"]) == {"pull_request"}
    assert set(workflow["jobs"]) == {"render", "compare"}
    render_checkout = next(s for j, s in uses(workflow, "actions/checkout") if j == "render")
    assert render_checkout["with"]["fetch-depth"] == 0
    assert 'python -m pipeline_definition diff "git:${BASE_SHA}" "git:${HEAD_SHA}"' in scripts
    assert "--format markdown" in scripts
    # Exit code 1 means "changed": only 2 and above fail the job.
    assert "set +e" in scripts
    assert '[ "$status" -ge 2 ]' in scripts
    assert "cdk diff --app pr-diff/head.out --method=template" in scripts
    (diff_step,) = [s for _, s in steps(workflow) if "pipeline_definition diff" in s.get("run", "")]
    assert diff_step["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert diff_step["env"]["HEAD_SHA"] == "${{ github.event.pull_request.head.sha }}"
    ((job, script),) = uses(workflow, "actions/github-script")
    assert job == "compare"
    assert script["env"]["MARKER"] == "<!-- pipeline-diff -->"
    assert "updateComment" in script["with"]["script"]
    assert "createComment" in script["with"]["script"]
    assert workflow["jobs"]["compare"]["permissions"]["pull-requests"] == "write"


# What runs the pull request's own code: rendering it, synthesizing it, or its app.
PR_CODE = re.compile(r"pipeline_definition diff|cdk synth|cdk deploy|python app\.py")


def _job_scripts(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_pull_request_code_never_runs_in_a_job_that_holds_credentials(
    workflows: dict[str, dict[str, Any]],
) -> None:
    workflow = workflows["pr-diff.yml"]
    render, compare = workflow["jobs"]["render"], workflow["jobs"]["compare"]

    # render runs the pull request's code: it may read the repository and nothing else.
    assert PR_CODE.search(_job_scripts(render))
    assert render["permissions"] == {"contents": "read"}
    assert not [s for s in render["steps"] if AWS_CREDENTIALS_ACTION in s.get("uses", "")]
    assert not [s for s in render["steps"] if "github-script" in s.get("uses", "")]
    ((_, upload),) = uses({"jobs": {"render": render}}, "actions/upload-artifact")
    assert upload["with"]["name"] == "pr-diff"

    # compare holds the role and the write token: it runs the base commit's code only, and
    # takes render's output as data (a synthesized assembly for `cdk diff --app`).
    assert compare["needs"] == "render"
    assert compare["permissions"]["id-token"] == "write"
    (checkout,) = [s for s in compare["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert checkout["with"]["persist-credentials"] is False
    assert not PR_CODE.search(_job_scripts(compare))
    ((_, download),) = uses({"jobs": {"compare": compare}}, "actions/download-artifact")
    assert download["with"] == {"name": "pr-diff", "path": "pr-diff"}
    names = [s.get("uses", s.get("run", "")) for s in compare["steps"]]
    download_index = next(i for i, n in enumerate(names) if "download-artifact" in n)
    credentials_index = next(i for i, n in enumerate(names) if AWS_CREDENTIALS_ACTION in n)
    install_index = next(i for i, n in enumerate(names) if "make install" in n)
    assert install_index < download_index < credentials_index


def test_forks_never_reach_the_job_with_credentials(workflows: dict[str, dict[str, Any]]) -> None:
    compare = workflows["pr-diff.yml"]["jobs"]["compare"]

    assert compare["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


def test_deploy_goes_through_dev_then_protected_prod(workflows: dict[str, dict[str, Any]]) -> None:
    workflow = workflows["deploy.yml"]
    jobs = workflow["jobs"]

    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    by_environment = {job["environment"]: job_id for job_id, job in jobs.items()}
    assert set(by_environment) == {"dev", "prod"}
    prod = jobs[by_environment["prod"]]
    assert by_environment["dev"] in (
        [prod["needs"]] if isinstance(prod["needs"], str) else prod["needs"]
    )
    for job_id in by_environment.values():
        scripts = "\n".join(step.get("run", "") for step in jobs[job_id]["steps"])
        assert "cdk deploy" in scripts
        assert "--require-approval never" in scripts
        assert jobs[job_id]["permissions"] == {"contents": "read", "id-token": "write"}


def test_run_pipeline_takes_every_parameter(workflows: dict[str, dict[str, Any]]) -> None:
    workflow = workflows["run-pipeline.yml"]
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    scripts = run_text(workflow)

    assert inputs["environment"]["type"] == "choice"
    assert inputs["environment"]["options"] == ["dev", "prod"]
    for name in PIPELINE_PARAMETERS:
        assert inputs[name]["required"] is False
        assert "default" not in inputs[name]
    (start,) = [s for _, s in steps(workflow) if "pipeline_definition execute" in s.get("run", "")]
    assert {f"PARAM_{name}" for name in PIPELINE_PARAMETERS} <= set(start["env"])
    assert 'params+=(--param "${name}=${value}")' in scripts
    assert 'if [ -n "$value" ]' in scripts
    assert '"${params[@]}"' in scripts
    assert "--monitor --timeout" in scripts
    assert not set(CONTROLS) & set(inputs)
    assert not [name for name in CONTROLS if name in scripts]
    job = workflow["jobs"]["run"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["permissions"]["id-token"] == "write"


def test_dependabot_keeps_the_pins_current() -> None:
    config = yaml.safe_load((GITHUB / "dependabot.yml").read_text())

    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions"}
