"""Loading a side of the diff: file, cdk.out folder, git ref and the deployed pipeline."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from pipeline_definition.cli import main
from pipeline_definition.diff.checkouts import Build, load_commit
from pipeline_definition.diff.deployed import load_deployed
from pipeline_definition.diff.side import CodeSource
from pipeline_definition.diff.sources import (
    SideOptions,
    SourceError,
    load_side,
    side_kind,
)
from pipeline_definition.diff.templates import load_cdk_out, load_file
from testsupport.definitions import SHIPPED_DEFINITION

FIXTURE = SHIPPED_DEFINITION
BODY = FIXTURE.read_text()
ROLE = "arn:aws:iam::123456789012:role/pipeline"

# Stands in for the app at a commit: "synthesizes" the definition and the code committed beside
# it into CDK_OUTDIR, as a pipeline resource named by the context, and records where it ran.
# Like the real app, it renders through build/render-cache: an entry keyed by the definition's
# text is a hit; a miss writes the entry.
STUB_APP = """\
import hashlib, json, os, shutil, sys
from pathlib import Path

if Path("fail").exists():
    print("RuntimeError: the builder blew up", file=sys.stderr)
    sys.exit(2)
out = Path(os.environ["CDK_OUTDIR"])
context = json.loads(os.environ["CDK_CONTEXT_JSON"])
body = Path("definition.json").read_text()
entry = Path("build/render-cache") / hashlib.sha256(body.encode()).hexdigest()[:32]
hit = entry.is_dir()
if not hit:
    entry.mkdir(parents=True)
    (entry / "definition.json").write_text(body)
variables = {"ArtifactBucket": context.get("bucket", {"Ref": "Bucket"})}
pipeline = {
    "Type": "AWS::SageMaker::Pipeline",
    "Properties": {
        "PipelineName": context["pipelineName"],
        "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
        "PipelineDefinition": {"PipelineDefinitionBody": {"Fn::Sub": [body, variables]}},
    },
}
out.mkdir(parents=True, exist_ok=True)
(out / "Stack.template.json").write_text(json.dumps({"Resources": {"Pipeline": pipeline}}))
if Path("code").is_dir():
    shutil.copytree("code", out / "asset.0123" / "code")
record = os.environ.get("STUB_RECORD")
if record:
    with open(record, "a") as handle:
        ran = {
            "cwd": os.getcwd(),
            "path": os.environ["PYTHONPATH"],
            "hit": hit,
            "validation": os.environ.get("CDK_VALIDATION"),
        }
        handle.write(json.dumps(ran) + "\\n")
"""

# Stands in for `python -m pipeline_definition render --out FILE --staging-dir DIR`.
STUB_RENDER = """\
import shutil, sys
from pathlib import Path

args = sys.argv[1:]
out = Path(args[args.index("--out") + 1])
staging = Path(args[args.index("--staging-dir") + 1])
out.write_text(Path("definition.json").read_text())
if Path("code").is_dir():
    shutil.copytree("code", staging / "code")
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
    """A throwaway checkout: tag v1 builds the fixture, main builds MaxDepth 6."""
    root = tmp_path / "repo"
    (root / "pipeline_definition").mkdir(parents=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    (root / "pipeline_definition" / "__init__.py").write_text("")
    (root / "pipeline_definition" / "__main__.py").write_text(STUB_RENDER)
    (root / "app.py").write_text(STUB_APP)
    (root / "cdk.json").write_text(json.dumps({"app": "python app.py", "context": CONTEXT}))
    (root / ".gitignore").write_text("build/\n")
    (root / "definition.json").write_text(BODY)
    git(root, "add", ".")
    git(root, "commit", "--quiet", "--no-gpg-sign", "-m", "first")
    git(root, "tag", "v1")
    (root / "definition.json").write_text(definition_with_max_depth(6))
    git(root, "commit", "--quiet", "--no-gpg-sign", "-am", "deeper trees")
    return root


CONTEXT = {"pipelineName": "house"}


def build(**changes: Any) -> Build:
    """How the tests build a checkout: this interpreter, this environment."""
    return Build(python=sys.executable, environ=dict(os.environ), **changes)


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


def test_cdk_out_carries_the_pipeline_resource_and_the_staged_code(tmp_path: Path) -> None:
    cdk_out = tmp_path / "cdk.out"
    resource = pipeline_resource("house", {"Fn::Sub": [BODY, {"DataBucket": {"Ref": "Data"}}]})
    resource["Properties"] |= {
        "PipelineDescription": "house prices",
        "Tags": [{"Key": "team", "Value": "ml"}],
        "ParallelismConfiguration": {"MaxParallelExecutionSteps": 2},
    }
    write_template(cdk_out, "Stack", {"PipelineD808E361": resource})
    staged = cdk_out / "asset.5d1a" / "code" / "training" / "0123456789abcdef"
    staged.mkdir(parents=True)
    (cdk_out / "asset.9f00").mkdir()  # another asset, with no code in it

    loaded = load_cdk_out(cdk_out)

    properties = loaded.properties
    assert properties is not None
    assert (properties.name, properties.role_arn, properties.description) == (
        "house",
        ROLE,
        "house prices",
    )
    assert properties.tags == {"team": "ml"}
    assert properties.parallelism == {"MaxParallelExecutionSteps": 2}
    assert properties.substitutions == {"DataBucket": {"Ref": "Data"}}
    assert properties.logical_id == "PipelineD808E361"
    assert not properties.resolved
    assert loaded.code.find("training", "0123456789abcdef") == staged
    assert loaded.code.find("training", "ffffffffffffffff") is None


def test_cdk_out_code_asset_may_be_the_code_folder_itself(tmp_path: Path) -> None:
    # The code deployment ships the staging folder's code/ as the asset's root.
    cdk_out = tmp_path / "cdk.out"
    write_template(cdk_out, "Stack", {"PipelineD808E361": pipeline_resource("house", BODY)})
    staged = cdk_out / "asset.7c2b" / "training" / "0123456789abcdef"
    staged.mkdir(parents=True)

    assert load_cdk_out(cdk_out).code.find("training", "0123456789abcdef") == staged


def test_bare_definition_file_says_what_it_lacks() -> None:
    loaded = load_file(FIXTURE)

    assert loaded.properties is None
    assert "bare definition file" in loaded.unknown
    assert loaded.code == CodeSource((), "a bare definition file")


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


# --- git refs and the working tree ----------------------------------------------------------


def test_existing_path_wins_over_a_git_ref(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main").write_text(BODY)

    assert side_kind("main", repo) == "file"
    assert side_kind("git:main", repo) == "git"
    assert side_kind("v1", repo) == "git"
    assert side_kind("deployed", repo) == "deployed"
    assert side_kind("WORKTREE", repo) == "worktree"
    assert side_kind(str(repo), repo) == "worktree"
    with pytest.raises(SourceError, match="not a file, a folder, a git ref"):
        side_kind("no-such-ref", repo)
    with pytest.raises(SourceError, match="not a file"):
        side_kind("--output=x", repo)


def test_git_ref_is_synthesized_in_a_temporary_worktree(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("STUB_RECORD", str(record))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "elsewhere"))
    commit = git(repo, "rev-parse", "v1")

    loaded = load_commit("v1", repo, tmp_path / "out", build())

    assert loaded.label == f"git:v1 ({commit[:12]})"
    assert loaded.definition == json.loads(BODY)
    assert loaded.properties is not None
    assert loaded.properties.name == "house"
    assert loaded.properties.substitutions == {"ArtifactBucket": {"Ref": "Bucket"}}
    (ran,) = [json.loads(line) for line in record.read_text().splitlines()]
    # The app ran in its own worktree, importing that worktree's code only.
    assert ran["cwd"] == ran["path"]
    assert Path(ran["cwd"]).resolve() != repo.resolve()
    # Only the template is read: CDK's own template validation is skipped.
    assert ran["validation"] == "false"
    assert not Path(ran["cwd"]).exists()
    assert worktrees(repo) == [str(repo)]


def test_git_ref_shares_the_render_cache_of_its_repository(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("STUB_RECORD", str(record))
    # A commit that changes nothing the render depends on renders exactly what v1 did.
    git(repo, "checkout", "--quiet", "-b", "docs", "v1")
    (repo / "README.md").write_text("docs only\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", "docs")

    load_commit("v1", repo, tmp_path / "first", build())
    load_commit("docs", repo, tmp_path / "second", build())

    hits = [json.loads(line)["hit"] for line in record.read_text().splitlines()]
    assert hits == [False, True]
    # The first render joined the repository's cache: a real folder, not a link.
    (entry,) = (repo / "build" / "render-cache").iterdir()
    assert entry.is_dir() and not entry.is_symlink()


def test_git_ref_render_only(repo: Path, tmp_path: Path) -> None:
    (repo / "code" / "training" / "abc").mkdir(parents=True)
    (repo / "code" / "training" / "abc" / "train.py").write_text("print('hi')\n")
    git(repo, "add", "code")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", "code")

    loaded = load_commit("HEAD", repo, tmp_path / "out", build(render_only=True))

    assert loaded.definition == json.loads(definition_with_max_depth(6))
    assert loaded.properties is None
    assert "rendered, not synthesized" in loaded.unknown
    found = loaded.code.find("training", "abc")
    assert found is not None
    assert (found / "train.py").read_text() == "print('hi')\n"


def test_git_side_through_load_side(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)

    loaded = load_side("main", SideOptions(workdir=tmp_path / "work"), os.environ)

    assert loaded.definition == json.loads(definition_with_max_depth(6))
    assert loaded.label.startswith("git:main (")


def test_working_tree_side_includes_uncommitted_edits(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "definition.json").write_text(definition_with_max_depth(9))
    monkeypatch.chdir(repo / "pipeline_definition")
    options = SideOptions(workdir=tmp_path / "work")

    by_name = load_side("WORKTREE", options, os.environ)
    by_folder = load_side(str(repo), options, os.environ)

    assert by_name.label == f"WORKTREE ({repo.resolve()})"
    assert by_name.definition == json.loads(definition_with_max_depth(9))
    assert by_folder.definition == by_name.definition
    assert by_name.properties is not None


def test_git_synth_failure_is_reported_and_cleaned_up(repo: Path, tmp_path: Path) -> None:
    (repo / "fail").write_text("")
    git(repo, "add", "fail")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "-m", "break the app")

    with pytest.raises(SourceError, match=r"synthesizing .*failed \(exit 2\): .*blew up"):
        load_commit("HEAD", repo, tmp_path / "out", build())
    assert worktrees(repo) == [str(repo)]


def test_unknown_git_ref(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="'nope' is not a commit"):
        load_commit("nope", repo, tmp_path / "out", build())


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
def test_deployed_carries_the_resolved_properties_and_tags() -> None:
    client = boto3.client("sagemaker", region_name="us-east-1")
    client.create_pipeline(
        PipelineName="tagged",
        PipelineDefinition=BODY,
        PipelineDescription="house prices",
        RoleArn=ROLE,
        Tags=[{"Key": "team", "Value": "ml"}],
        ClientRequestToken="create-tagged-pipeline-for-the-diff-tests",
    )

    loaded = load_side("deployed", SideOptions(pipeline_name="tagged"), {"AWS_REGION": "us-east-1"})

    properties = loaded.properties
    assert properties is not None
    assert properties.resolved
    assert (properties.name, properties.role_arn, properties.description) == (
        "tagged",
        ROLE,
        "house prices",
    )
    assert properties.tags == {"team": "ml"}
    assert properties.substitutions is None
    assert "S3 only" in loaded.code.missing


def test_deployed_tags_unknown_without_list_tags_permission() -> None:
    client = boto3.client("sagemaker", region_name="us-east-1")
    stubber = Stubber(client)
    arn = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p"
    stubber.add_response(
        "describe_pipeline",
        {"PipelineArn": arn, "PipelineName": "p", "PipelineDefinition": BODY},
        {"PipelineName": "p"},
    )
    stubber.add_client_error("list_tags", "AccessDeniedException", "not allowed")
    stubber.activate()

    loaded = load_deployed("p", client=client)

    assert loaded.properties is not None
    assert loaded.properties.tags is None


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
def test_diff_profile_option_reads_the_deployed_pipeline_with_that_profile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile review]\nregion = ap-southeast-2\n"
        "aws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    create_pipeline("p", "ap-southeast-2")
    same = ["diff", "deployed", str(FIXTURE), "--pipeline-name", "p"]

    code = main([*same, "--profile", "review"])
    out = capsys.readouterr().out
    unknown = main([*same, "--profile", "nobody"])
    err = capsys.readouterr().err

    assert code == 0, out
    assert "deployed:p (ap-southeast-2)" in out
    assert unknown == 2
    assert "error: AWS profile problem: The config profile (nobody) could not be found" in err


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


# --- the command, end to end -----------------------------------------------------------------


def test_diff_head_against_the_working_tree(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("STUB_RECORD", str(record))
    monkeypatch.chdir(repo)
    (repo / "definition.json").write_text(definition_with_max_depth(8))
    context = {"pipelineName": "churn", "bucket": "team-bucket"}
    (repo / "cdk.json").write_text(json.dumps({"app": "python app.py", "context": context}))

    code = main(["diff", "HEAD", "WORKTREE"])

    out = capsys.readouterr().out
    assert code == 1
    assert "  ~ MaxDepth  default: 6 -> 8" in out
    assert '  ~ PipelineName: "house" -> "churn"' in out
    assert "!! REPLACEMENT: the pipeline name changes" in out
    assert "${ArtifactBucket} (used by" in out
    assert 'Ref Bucket -> "team-bucket"' in out
    assert len(record.read_text().splitlines()) == 2


def test_two_names_for_one_commit_build_it_once(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("STUB_RECORD", str(record))
    monkeypatch.chdir(repo)

    code = main(["diff", "main", "HEAD"])

    out = capsys.readouterr().out
    assert code == 0
    assert "no changes" in out
    assert len(record.read_text().splitlines()) == 1


def test_worktree_outside_git_is_the_project_folder_here(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(repo, plain, ignore=shutil.ignore_patterns(".git"))
    monkeypatch.chdir(plain)

    loaded = load_side("WORKTREE", SideOptions(workdir=tmp_path / "work"), os.environ)

    assert loaded.label == f"WORKTREE ({plain.resolve()})"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError, match=r"in no git checkout and holds no cdk\.json"):
        load_side("WORKTREE", SideOptions(workdir=tmp_path / "work"), os.environ)
