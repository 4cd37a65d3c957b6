"""The instance types the two instance-type parameters allow: EBS-only CPU types.

Every job encrypts its volume with the stack key (`VolumeKmsKeyId`), which SageMaker refuses on
instance types with local NVMe instance storage (the `d` variants such as m5d, c5d and r5d,
and g4dn, g5, g6, p3dn, p4d, p5, trn1, ...). So the parameters declare these values as their
EnumValues: the console, `execute`, the trigger Lambda and `run-local` refuse any other type
before a job is created. The scripts are single-node CPU code (GPU types would only cost
more), and each value is in botocore's ProcessingInstanceType and TrainingInstanceType enums
(a test checks both, and that no value is a family with instance storage).

The list stays short on purpose: the trigger Lambda carries the declared values in an
environment variable, and Lambda allows 4 KB for all of them.

Instance counts are bounded too (`MIN_INSTANCE_COUNT`..`MAX_INSTANCE_COUNT` per job). Integer
parameters cannot declare allowed values: the SDK's `ParameterInteger` takes no `enum_values`,
and the published pipeline definition schema gives an Integer parameter only Name, Description,
DefaultValue and Type. So the definition's first step, CheckInstanceLimits, compares both count
parameters with these bounds and ends the run in FailOnInstanceLimits, naming the bound, before
any job is created (ProcessData runs only in its true branch, and every other job follows it).
IAM conditions on job creation can import the same constants.
"""

from __future__ import annotations

_SIZES = ("large", "xlarge", "2xlarge", "4xlarge")
# Family -> sizes, all without instance storage (no `d` variants, no GPU families).
_FAMILIES: dict[str, tuple[str, ...]] = {
    "t3": ("medium", "large", "xlarge", "2xlarge"),
    "m5": _SIZES,
    "m6i": _SIZES,
    "m7i": _SIZES,
    "c5": _SIZES[1:],  # c5 and c6i start at xlarge
    "c6i": _SIZES[1:],
    "c7i": _SIZES,
    "r5": _SIZES,
    "r6i": _SIZES,
    "r7i": _SIZES,
}

EBS_ONLY_INSTANCE_TYPES: tuple[str, ...] = tuple(
    f"ml.{family}.{size}" for family, sizes in _FAMILIES.items() for size in sizes
)
# ProcessData and EvaluateModel (processing jobs) and TrainModel (a training job) accept the
# same list.
PROCESSING_INSTANCE_TYPES = EBS_ONLY_INSTANCE_TYPES
TRAINING_INSTANCE_TYPES = EBS_ONLY_INSTANCE_TYPES
DEFAULT_PROCESSING_INSTANCE_TYPE = "ml.t3.medium"
DEFAULT_TRAINING_INSTANCE_TYPE = "ml.m5.large"

# Instances per job (ProcessData, TrainModel, EvaluateModel). The scripts are single-node, so a
# second instance only repeats the work; the ceiling caps what a run can spend (4 x 16 vCPUs at
# the largest allowed size) while leaving room for a distributed script without a new deploy.
MIN_INSTANCE_COUNT = 1
MAX_INSTANCE_COUNT = 4
