"""What the builder needs to know, independent of CDK and of where the settings came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline_definition.model import placeholders
from project.controls import (
    DEFAULT_CHAMPION_TOLERANCE,
    DEFAULT_MODEL_APPROVAL_STATUS,
    DEFAULT_RMSE_THRESHOLD,
)
from project.paths import ML_SCRIPTS_DIR
from project.settings import Settings

XGBOOST_VERSION = "3.2-0"
# ProcessData's image: 1.9-0 is patched (1.4-2, on Python 3.10, no longer is).
SKLEARN_VERSION = "1.9-0"

# The Python each image the pipeline uses runs, by `repository:tag` as in the image URI (from
# the images' published build files). ml_scripts runs in these and on the host, so ruff and mypy
# check it at the oldest of them and the host's (a test holds the two together).
IMAGE_PYTHON: dict[str, tuple[int, int]] = {
    f"sagemaker-xgboost:{XGBOOST_VERSION}": (3, 12),
    f"sagemaker-scikit-learn:{SKLEARN_VERSION}-cpu-py3": (3, 12),
}


@dataclass(frozen=True)
class PipelineConfig:
    """Inputs of the pipeline builder; deploy-time values are `${...}` placeholders."""

    pipeline_name: str
    region: str
    model_package_group_name: str
    sample_data_key: str
    ml_scripts_dir: Path = ML_SCRIPTS_DIR
    role_arn: str = placeholders.ROLE_ARN
    artifact_bucket: str = placeholders.ref(placeholders.ARTIFACT_BUCKET)
    data_bucket: str = placeholders.ref(placeholders.DATA_BUCKET)
    kms_key_arn: str = placeholders.ref(placeholders.KMS_KEY_ARN)
    # Controls, written into the definition as literals (project/controls.py).
    model_approval_status: str = DEFAULT_MODEL_APPROVAL_STATUS
    rmse_threshold: float = DEFAULT_RMSE_THRESHOLD
    champion_tolerance: float = DEFAULT_CHAMPION_TOLERANCE

    @property
    def default_input_data(self) -> str:
        """Default of the InputData parameter: the sample the stack ships to the data bucket."""
        return f"s3://{self.data_bucket}/{self.sample_data_key}"


def pipeline_config(settings: Settings) -> PipelineConfig:
    """The builder's configuration for the app's settings."""
    return PipelineConfig(
        pipeline_name=settings.pipeline_name,
        region=settings.region,
        model_package_group_name=settings.model_package_group_name,
        sample_data_key=settings.sample_data_key,
        model_approval_status=settings.model_approval_status,
        rmse_threshold=settings.rmse_threshold,
        champion_tolerance=settings.champion_tolerance,
    )
