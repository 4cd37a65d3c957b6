"""CDK entry point: read the settings once, build the stack, add cdk-nag, synthesize.

`main` starts rendering the pipeline definition in a subprocess before the CDK libraries load
(see `pipeline_definition.build.prefetch`), so that a synth whose render is not cached yet
renders while CDK builds the other constructs.

After synth each template is checked against the size CloudFormation accepts: the CDK CLI
deploys templates from S3 (the bootstrap bucket), where the limit is 1 MB, which cfn-lint's
E1002 counts as 1,000,000 bytes. The pipeline definition sits inside, JSON-escaped.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline_definition.build import prefetch
from pipeline_definition.build.config import pipeline_config
from project.paths import CDK_JSON, RENDER_CACHE_DIR, STAGING_ROOT
from project.settings import SOURCES, SettingsError, cdk_context, load_settings

if TYPE_CHECKING:
    from aws_cdk import App, cx_api

# How the CDK CLI hands the app its context: a JSON variable, or a file when that is too long.
CONTEXT_VARIABLE = "CDK_CONTEXT_JSON"
CONTEXT_FILE_VARIABLE = "CONTEXT_OVERFLOW_LOCATION"


def build_app(
    environ: Mapping[str, str],
    *,
    outdir: str | None = None,
    context: Mapping[str, Any] | None = None,
    staging_root: Path = STAGING_ROOT,
    render_cache_dir: Path | None = RENDER_CACHE_DIR,
) -> App:
    """Create the app with its one stack and the cdk-nag checks.

    The CDK CLI passes `cdk.json` context through the environment; tests pass it explicitly.
    Renders are cached in `build/render-cache` (keyed by their inputs); None renders afresh.
    """
    # Imported here, not at the top: main() starts the render before these load.
    from aws_cdk import App, Environment, Validations  # noqa: PLC0415
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks  # noqa: PLC0415

    from stacks.ml_pipeline_stack import MlPipelineStack  # noqa: PLC0415

    app = App(outdir=outdir, context=dict(context) if context is not None else None)
    context = {key: app.node.try_get_context(key) for key, _ in SOURCES.values()}
    settings = load_settings(context, environ)
    MlPipelineStack(
        app,
        settings.stack_name,
        settings=settings,
        staging_dir=staging_root / settings.pipeline_name,
        render_cache_dir=render_cache_dir,
        env=Environment(account=settings.account, region=settings.region),
        description=f"{settings.project_name}: SageMaker ML pipeline and its infrastructure",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return app


# The most bytes CloudFormation reads from a template in S3 (a CreateStack/UpdateStack TemplateURL).
MAX_TEMPLATE_BYTES = 1_000_000


def oversized_templates(assembly: cx_api.CloudAssembly) -> list[str]:
    """A message for each synthesized template larger than CloudFormation accepts."""
    messages = []
    for stack in assembly.stacks:
        size = Path(stack.template_full_path).stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            messages.append(
                f"the template of {stack.stack_name} has {size:,} bytes; CloudFormation accepts "
                f"at most {MAX_TEMPLATE_BYTES:,} from S3. Move large values (such as the "
                "pipeline definition) into assets."
            )
    return messages


def cli_context(environ: Mapping[str, str], cdk_json: Path = CDK_JSON) -> dict[str, Any]:
    """The context the CDK CLI passes (cdk.json, cdk.context.json and -c), read without CDK."""
    try:
        if environ.get(CONTEXT_VARIABLE):
            context = json.loads(environ[CONTEXT_VARIABLE])
        elif environ.get(CONTEXT_FILE_VARIABLE):
            context = json.loads(Path(environ[CONTEXT_FILE_VARIABLE]).read_text())
        else:
            context = cdk_context(cdk_json)
    except (OSError, ValueError):
        return {}
    return context if isinstance(context, dict) else {}


def prefetch_render(environ: Mapping[str, str], cache_dir: Path = RENDER_CACHE_DIR) -> bool:
    """Start rendering for the settings the CLI passes, unless cached; True when started."""
    try:
        settings = load_settings(cli_context(environ), environ)
    except SettingsError:
        return False  # build_app reports it, naming the setting
    return prefetch.start(pipeline_config(settings), cache_dir)


def main() -> int:
    """Synthesize; a bad setting or an oversized template stops synth with a message."""
    prefetch_render(os.environ)
    try:
        app = build_app(os.environ)
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    problems = oversized_templates(app.synth())
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
