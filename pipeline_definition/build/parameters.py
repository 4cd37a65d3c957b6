"""The pipeline's parameters: names, types and defaults, declared once.

They land in the definition's `Parameters`, which is what the trigger Lambda (through an
environment variable set at synth), the execute CLI (from the deployed pipeline) and the local
executor check values against; the README's parameter table documents this module.

What guards the Model Registry is deliberately not here: approval on registration, the
quality gate's threshold and the tolerance against the champion are deploy-time settings
(`project/controls.py`) that the builder writes into the definition as literals, so no run can
pass its own. ChampionModelData names the champion those compare with; whoever starts a run
sets it from the registry and refuses a value from the user (`project/champion.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sagemaker.core.workflow.parameters import (
    Parameter,
    ParameterFloat,
    ParameterInteger,
    ParameterString,
)

# MaxDepth, Eta and NumRound default to the training script's own defaults, which live beside
# the scripts; the pipeline always passes these three explicitly.
from ml_scripts.layout import DEFAULT_ETA, DEFAULT_MAX_DEPTH, DEFAULT_NUM_ROUND
from pipeline_definition.build.instance_types import (
    DEFAULT_PROCESSING_INSTANCE_TYPE,
    DEFAULT_TRAINING_INSTANCE_TYPE,
    PROCESSING_INSTANCE_TYPES,
    TRAINING_INSTANCE_TYPES,
)
from project.champion import CHAMPION_MODEL_DATA


@dataclass(frozen=True)
class PipelineParameters:
    """Every parameter of the pipeline, as SDK objects the steps refer to."""

    input_data: ParameterString
    input_version: ParameterString
    processing_instance_type: ParameterString
    processing_instance_count: ParameterInteger
    training_instance_type: ParameterString
    training_instance_count: ParameterInteger
    max_depth: ParameterInteger
    eta: ParameterFloat
    num_round: ParameterInteger
    champion_model_data: ParameterString

    def as_list(self) -> list[Parameter]:
        """The parameters in the order the definition lists them."""
        return [
            self.input_data,
            self.input_version,
            self.processing_instance_type,
            self.processing_instance_count,
            self.training_instance_type,
            self.training_instance_count,
            self.max_depth,
            self.eta,
            self.num_round,
            self.champion_model_data,
        ]


def pipeline_parameters(default_input_data: str, no_champion: str) -> PipelineParameters:
    """Declare the parameters; `default_input_data` is the S3 URI of the embedded sample,
    `no_champion` the placeholder that stands for "no champion" (build/champion.py)."""
    return PipelineParameters(
        input_data=ParameterString("InputData", default_value=default_input_data),
        # The version id (else the ETag) of InputData's object, set by whoever starts a run (the
        # trigger, `execute`, `run-local`): a new version of the same key then misses the cache.
        input_version=ParameterString("InputVersion", default_value=""),
        # Only EBS-only types: every job's volume is encrypted (instance_types.py says why).
        processing_instance_type=ParameterString(
            "ProcessingInstanceType",
            default_value=DEFAULT_PROCESSING_INSTANCE_TYPE,
            enum_values=list(PROCESSING_INSTANCE_TYPES),
        ),
        processing_instance_count=ParameterInteger("ProcessingInstanceCount", default_value=1),
        training_instance_type=ParameterString(
            "TrainingInstanceType",
            default_value=DEFAULT_TRAINING_INSTANCE_TYPE,
            enum_values=list(TRAINING_INSTANCE_TYPES),
        ),
        training_instance_count=ParameterInteger("TrainingInstanceCount", default_value=1),
        max_depth=ParameterInteger("MaxDepth", default_value=DEFAULT_MAX_DEPTH),
        eta=ParameterFloat("Eta", default_value=DEFAULT_ETA),
        num_round=ParameterInteger("NumRound", default_value=DEFAULT_NUM_ROUND),
        # The model.tar.gz of the newest Approved version, set by the trigger, `execute` and
        # `run-local`; left out (this default) when there is none.
        champion_model_data=ParameterString(CHAMPION_MODEL_DATA, default_value=no_champion),
    )
