"""Loading a side of the diff: file, cdk.out folder, git ref and the deployed pipeline."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from pipeline_definition.diff.sources import (
    SideOptions,
    SourceError,
    load_cdk_out,
    load_file,
    load_side,
    render_at_commit,
    side_kind,
)
from testsupport.definitions import SHIPPED_DEFINITION

FIXTURE = SHIPPED_DEFINITION
BODY = FIXTURE.read_text()
ROLE = "arn:aws:iam::123456789012:role/pipeline"

# Stands in for `python -m pipeline_definition` at a commit: writes the definition committed
# beside it, and records where it ran so the test can check the orchestration.
STUB_MAIN = """\
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
if args[:1] != ["render"] or "--out" not in args:
    sys.exit("error: expected render --out FILE")
if Path("fail").exists():
    print("error: the builder blew up", file=sys.stderr)
    sys.exit(2)
out = Path(args[args.index("--out") + 1])
out.write_text(Path("definition.json").read_text())
record = os.environ.get("STUB_RECORD")
if record:
    with open(record, "a") as handle:
        handle.write(json.dumps({"cwd": os.getcwd(), "path": os.environ["PYTHONPATH"]}) + "\\n")
"""


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity; return its output."""
    result = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def definition_with_max_depth(depth: int) -> str:
    """The fixture with another MaxDepth default."""
    definition = json.loads(BODY)
    for parameter in definition["Parameters"]:
        if parameter["Name"] == "MaxDepth":
            parameter["DefaultValue"] = depth
    return json.dumps(definition, indent=2, sort_keys=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A throwaway repository: tag v1 renders the fixture, main renders MaxDepth 6."""
    root = tmp_path / "repo"
    (root / "pipeline_definition").mkdir(parents=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    (root / "pipeline_definition" / "__init__.py").write_text("")
    (root / "pipeline_definition" / "__main__.py").write_text(STUB_MAIN)
    (root / "definition.json").write_text(BODY)
    git(root, "add", ".")
    git(root, "commit", "--quiet", "--no-gpg-sign", "-m", "first")
    git(root, "tag", "v1")
    (root / "definition.json").write_text(definition_with_max_depth(6))
    git(root, "commit", "--quiet", "--no-gpg-sign", "-am", "deeper trees")
    return root


def worktrees(repo: Path) -> list[str]:
    """The worktree folders git knows for `repo`."""
    listing = git(repo, "worktree", "list", "--porcelain")
    return [line.split(" ", 1)[1] for line in listing.splitlines() if line.startswith("worktree ")]


# --- files -----------------------------------------------------------------------------------


def test_definition_file() -> None:
    loaded = load_file(FIXTURE)

    assert loaded.label == str(FIXTURE)
    assert loaded.definition == json.loads(BODY)


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", "not valid JSON"), ("[1, 2]", "not a JSON object")],
)
def test_bad_definition_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "definition.json"
    path.write_text(text)

    with pytest.raises(SourceError, match=message):
        load_file(path)


def test_saved_describe_pipeline_answer(tmp_path: Path) -> None:
    path = tmp_path / "describe.json"
    path.write_text(json.dumps({"PipelineName": "p", "PipelineDefinition": BODY}))

    assert load_file(path).definition == json.loads(BODY)


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(BODY))

    loaded = load_side("-", SideOptions(), {})

    assert (loaded.label, loaded.definition) == ("stdin", json.loads(BODY))


# --- cdk.out ---------------------------------------------------------------------------------


def pipeline_resource(name: str, body: Any) -> dict[str, Any]:
    """An AWS::SageMaker::Pipeline resource as CDK synthesizes it."""
    return {
        "Type": "AWS::SageMaker::Pipeline",
        "Properties": {
            "PipelineName": name,
            "RoleArn": ROLE,
            "PipelineDefinition": {"PipelineDefinitionBody": body},
        },
    }


def write_template(folder: Path, name: str, resources: dict[str, Any]) -> Path:
    """Write a template with `resources` (and a bucket) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.template.json"
    template = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}, **resources}}
    path.write_text(json.dumps(template))
    return path


def test_cdk_out_with_fn_sub_body_keeps_placeholders(tmp_path: Path) -> None:
    cdk_out = tmp_path / "cdk.out"
    body = {"Fn::Sub": [BODY, {"ArtifactBucket": {"Ref": "Bucket"}, "DataBucket": "data"}]}
    write_template(cdk_out, "HousePrice", {"Pipeline1A2B": pipeline_resource("house", body)})
    (cdk_out / "manifest.json").write_text("{}")

    loaded = load_side(str(cdk_out), SideOptions(), {})

    assert side_kind(str(cdk_out)) == "folder"
    assert loaded.label == f"{cdk_out} (house)"
    assert loaded.definition == json.loads(BODY)
    assert "${ArtifactBucket}" in json.dumps(loaded.definition)


def test_cdk_out_with_plain_and_joined_bodies(tmp_path: Path) -> None:
    joined = {
        "Fn::Join": [
            "",
            ['{"Parameters": [{"DefaultValue": "', {"Ref": "Bucket"}, '", "Name": "B"}]}'],
        ]
    }
    write_template(tmp_path / "plain", "Stack", {"P": pipeline_resource("plain", BODY)})
    write_template(
        tmp_path / "joined" / "assembly-Prod", "Stack", {"P": pipeline_resource("j", joined)}
    )

    assert load_cdk_out(tmp_path / "plain").definition == json.loads(BODY)
    assert load_cdk_out(tmp_path / "joined").definition == {
        "Parameters": [{"DefaultValue": "${Bucket}", "Name": "B"}]
    }


def test_cdk_out_with_several_pipelines_needs_a_name(tmp_path: Path) -> None:
    other = BODY.replace('"DefaultValue": 4', '"DefaultValue": 9')
    write_template(tmp_path, "One", {"P": pipeline_resource("first", BODY)})
    write_template(tmp_path, "Two", {"P": pipeline_resource("second", other)})

    with pytest.raises(SourceError, match=r"several pipelines \(first, second\).*--pipeline"):
        load_cdk_out(tmp_path)
    with pytest.raises(SourceError, match="no single pipeline named 'third'"):
        load_cdk_out(tmp_path, "third")
    chosen = load_cdk_out(tmp_path, "second")
    assert '"DefaultValue": 9' in json.dumps(chosen.definition)


def test_cdk_out_problems(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"no \*\.template\.json"):
        load_cdk_out(tmp_path)
    write_template(tmp_path, "Empty", {})
    with pytest.raises(SourceError, match="no AWS::SageMaker::Pipeline"):
        load_cdk_out(tmp_path)
    in_s3 = pipeline_resource("s3", BODY)
    in_s3["Properties"]["PipelineDefinition"] = {"PipelineDefinitionS3Location": {}}
    write_template(tmp_path, "S3", {"P": in_s3})
    with pytest.raises(SourceError, match="kept in S3 is not supported"):
        load_cdk_out(tmp_path)


def test_template_file_is_read_like_cdk_out(tmp_path: Path) -> None:
    body = {"Fn::Sub": BODY}
    path = write_template(tmp_path, "Stack", {"P": pipeline_resource("house", body)})

    loaded = load_file(path)

    assert loaded.label == f"{path} (house)"
    assert loaded.definition == json.loads(BODY)


# --- git refs --------------------------------------------------------------------------------


def test_existing_path_wins_over_a_git_ref(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main").write_text(BODY)

    assert side_kind("main", repo) == "file"
    assert side_kind("git:main", repo) == "git"
    assert side_kind("v1", repo) == "git"
    assert side_kind("deployed", repo) == "deployed"
    with pytest.raises(SourceError, match="not a file, a folder, a git ref"):
        side_kind("no-such-ref", repo)
    with pytest.raises(SourceError, match="not a file"):
        side_kind("--output=x", repo)


def test_git_ref_renders_in_a_temporary_worktree(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("STUB_RECORD", str(record))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "elsewhere"))
    commit = git(repo, "rev-parse", "v1")

    loaded = render_at_commit("v1", repo)

    assert loaded.label == f"git:v1 ({commit[:12]})"
    assert loaded.definition == json.loads(BODY)
    (ran,) = [json.loads(line) for line in record.read_text().splitlines()]
    # The render ran in its own worktree, importing that worktree's code only.
    assert ran["cwd"] == ran["path"]
    assert Path(ran["cwd"]).resolve() != repo.resolve()
    assert not Path(ran["cwd"]).exists()
    assert worktrees(repo) == [str(repo)]


def test_git_side_through_load_side(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)

    loaded = load_side("main", SideOptions(), {})

    assert loaded.definition == json.loads(definition_with_max_depth(6))
    assert loaded.label.startswith("git:main (")


def test_git_render_failure_is_reported_and_cleaned_up(repo: Path) -> None:
    (repo / "fail").write_text("")
    git(repo, "add", "fail")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", "break rendering")

    with pytest.raises(SourceError, match=r"rendering failed \(exit 2\): the builder blew up"):
        render_at_commit("HEAD", repo)
    assert worktrees(repo) == [str(repo)]


def test_unknown_git_ref(repo: Path) -> None:
    with pytest.raises(SourceError, match="'nope' is not a commit"):
        render_at_commit("nope", repo)


# --- deployed --------------------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Moto with fake credentials, and nothing read from this machine's AWS setup."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def create_pipeline(name: str, region: str, body: str = BODY) -> None:
    """Create a pipeline in moto."""
    client = boto3.client("sagemaker", region_name=region)
    client.create_pipeline(
        PipelineName=name,
        PipelineDefinition=body,
        RoleArn=ROLE,
        ClientRequestToken=f"create-{name}-in-{region}-for-the-diff-tests",
    )


@pytest.mark.usefixtures("aws")
def test_deployed_by_name_and_region() -> None:
    create_pipeline("house-pipeline", "eu-west-1")
    options = SideOptions(pipeline_name="house-pipeline")

    loaded = load_side("deployed", options, {"AWS_REGION": "eu-west-1"})

    assert loaded.label == "deployed:house-pipeline (eu-west-1)"
    assert loaded.definition == json.loads(BODY)


@pytest.mark.usefixtures("aws")
def test_deployed_name_and_region_from_the_app_settings() -> None:
    create_pipeline("from-settings", "eu-central-1")
    environ = {"PIPELINE_NAME": "from-settings", "AWS_REGION": "eu-central-1"}

    loaded = load_side("deployed", SideOptions(), environ)

    assert loaded.label == "deployed:from-settings (eu-central-1)"


@pytest.mark.usefixtures("aws")
def test_deployed_region_from_the_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile ci]\nregion = ap-southeast-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "ci")
    create_pipeline("p", "ap-southeast-2")

    loaded = load_side("deployed", SideOptions(pipeline_name="p"), {})

    assert loaded.label == "deployed:p (ap-southeast-2)"


@pytest.mark.usefixtures("aws")
def test_deployed_pipeline_not_found() -> None:
    with pytest.raises(SourceError, match="pipeline 'missing' not found in us-west-2"):
        load_side("deployed", SideOptions(pipeline_name="missing"), {"AWS_REGION": "us-west-2"})


@pytest.mark.usefixtures("aws")
def test_deployed_unknown_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nobody")

    with pytest.raises(SourceError, match="AWS profile problem"):
        load_side("deployed", SideOptions(pipeline_name="p"), {"AWS_REGION": "us-east-1"})


def test_deployed_without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    # No instance metadata lookup: it would wait on a network that is not there.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    with pytest.raises(SourceError, match="no AWS credentials"):
        load_side("deployed", SideOptions(pipeline_name="p"), {"AWS_REGION": "us-east-1"})


def test_deployed_honours_aws_endpoint_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    made: list[tuple[dict[str, Any], Any]] = []
    original = boto3.session.Session.client

    def recording_client(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        stubber = Stubber(client)
        stubber.add_response(
            "describe_pipeline", {"PipelineDefinition": BODY}, {"PipelineName": "p"}
        )
        stubber.activate()
        made.append((kwargs, client))
        return client

    monkeypatch.setattr(boto3.session.Session, "client", recording_client)

    loaded = load_side("deployed", SideOptions(pipeline_name="p"), {"AWS_REGION": "eu-west-1"})

    ((kwargs, client),) = made
    assert "endpoint_url" not in kwargs
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert client.meta.region_name == "eu-west-1"
    assert loaded.definition == json.loads(BODY)
