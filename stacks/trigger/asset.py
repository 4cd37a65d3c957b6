"""The trigger function's code asset: the handler package and the shared rules, without Docker."""

from __future__ import annotations

import shutil
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from project import champion, manifests, run_parameters

HANDLER_DIR = Path(__file__).resolve().parent / "handler"
RULES_MODULE = Path(run_parameters.__file__).resolve()
# The champion rules and the manifest format ship beside the run-parameter rules.
SHARED_MODULES = (
    RULES_MODULE,
    Path(champion.__file__).resolve(),
    Path(manifests.__file__).resolve(),
)
HANDLER = "handler.handler.lambda_handler"
RUNTIME = lambda_.Runtime.PYTHON_3_14


@jsii.implements(ILocalBundling)
class HandlerAsset:
    """Builds the function's asset without Docker: the `handler` package and the rules module.

    The asset is `handler/*.py` plus `project/__init__.py`, `project/run_parameters.py`,
    `project/champion.py` and `project/manifests.py`, so the Lambda checks run parameters, finds
    the champion and writes manifests with the very modules the CLI and `run-local` use.
    """

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        """Copy the sources into `output_dir`; CDK hashes what lands there."""
        output = Path(output_dir)
        for source in sorted(HANDLER_DIR.glob("*.py")):
            _copy(source, output / "handler" / source.name)
        for source in (RULES_MODULE.parent / "__init__.py", *SHARED_MODULES):
            _copy(source, output / "project" / source.name)
        return True


def _copy(source: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)


def handler_code() -> lambda_.Code:
    """The function's code asset, bundled locally (never with Docker)."""
    return lambda_.Code.from_asset(
        str(HANDLER_DIR),
        asset_hash_type=AssetHashType.OUTPUT,
        # jsii calls back with the options as one positional struct, not the keywords its
        # typing stub declares, so the implementation cannot match the stub.
        bundling=BundlingOptions(
            image=RUNTIME.bundling_image,
            local=HandlerAsset(),  # type: ignore[arg-type]
        ),
    )
