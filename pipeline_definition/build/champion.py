"""The no-champion placeholder: what EvaluateModel's champion input names when there is none.

The ChampionModelData parameter (project/champion.py) names the champion's model.tar.gz. A run
without a champion cannot leave it empty: SageMaker refuses a processing input without an S3
URI, and one with nothing behind it fails the job, so the parameter's default names a small
object the stack deploys with the staged code (one BucketDeployment, the same in `run-local`).
The evaluation script reads it as "no champion". Its key is a content hash, like the code's,
so the default changes only when the placeholder does.
"""

from __future__ import annotations

import json

from ml_scripts import layout
from pipeline_definition.build.staging import CodeStaging

LABEL = "no-champion"
PLACEHOLDER = {
    "champion": None,
    "meaning": (
        "No champion: the run had no Approved model version to compare with. "
        "ChampionModelData defaults to this object, which the stack deploys with the code."
    ),
}


def stage_no_champion(staging: CodeStaging, artifact_bucket: str) -> str:
    """Stage the placeholder and return its S3 URI (ChampionModelData's default)."""
    text = json.dumps(PLACEHOLDER, indent=2, sort_keys=True) + "\n"
    staged = staging.stage_tree({}, LABEL, contents={layout.NO_CHAMPION_FILE: text})
    return f"s3://{artifact_bucket}/{staged.key}{layout.NO_CHAMPION_FILE}"
