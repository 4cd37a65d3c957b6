"""Names the pipeline definition and the step scripts must agree on, written once.

The builder (on the host, with the SageMaker SDK) writes these folders, output names, file
names and defaults into the definition; the scripts (in the containers) read and write the
same places. Both import this module, so a rename reaches both sides at once.

Standard library only: the host imports it, and every code bundle and the serving code inside
model.tar.gz ship it to the containers (the oldest Python among them and the host is the one
ruff and mypy target; see IMAGE_PYTHON in pipeline_definition/build/config.py).
"""

# --- Processing jobs (ProcessData, EvaluateModel): where SageMaker mounts inputs and collects
# outputs, and where the code bundle lands (on PYTHONPATH).
PROCESSING_ROOT = "/opt/ml/processing"
PROCESSING_CODE_DIR = f"{PROCESSING_ROOT}/input/code"
PROCESSING_INPUT_DIR = f"{PROCESSING_ROOT}/input/data"
PROCESSING_OUTPUT_DIR = f"{PROCESSING_ROOT}/output"
EVALUATION_MODEL_DIR = f"{PROCESSING_ROOT}/model"
EVALUATION_TEST_DIR = f"{PROCESSING_ROOT}/test"
EVALUATION_OUTPUT_DIR = f"{PROCESSING_ROOT}/evaluation"
# EvaluateModel's champion input: the champion's model.tar.gz, or NO_CHAMPION_FILE when the run
# has none (the ChampionModelData parameter's default names that placeholder, which the stack
# deploys with the code: a processing input cannot be empty).
EVALUATION_CHAMPION_DIR = f"{PROCESSING_ROOT}/champion"
NO_CHAMPION_FILE = "NO_CHAMPION.json"
# EvaluateModel's input of ProcessData's report output, for the run report's data counts.
EVALUATION_PROCESSING_REPORT_DIR = f"{PROCESSING_ROOT}/processing-report"
# Where SageMaker describes a processing job to its own container (its name, inputs, outputs).
PROCESSING_JOB_CONFIG = "/opt/ml/config/processingjobconfig.json"
# ProcessData's environment variable that holds the InputVersion parameter: the version id (or
# ETag) of the input object. It is there for SageMaker's cache key, which compares a processing
# job's Environment but never the data behind a URI; the script records it in its report.
INPUT_VERSION_ENV = "INPUT_VERSION"
# ProcessData's raw input type (the InputDataType parameter, SageMaker's S3DataType): InputData
# names an object or a folder, or a manifest whose listed objects SageMaker downloads.
S3_PREFIX_INPUT = "S3Prefix"
MANIFEST_INPUT = "ManifestFile"
INPUT_DATA_TYPES = (S3_PREFIX_INPUT, MANIFEST_INPUT)

# ProcessData writes one folder per output under PROCESSING_OUTPUT_DIR, named as the output.
# The order of SPLITS is the order of the split codes (processing/keys.py).
TRAIN_SPLIT = "train"
VALIDATION_SPLIT = "validation"
TEST_SPLIT = "test"
SPLITS = (TRAIN_SPLIT, VALIDATION_SPLIT, TEST_SPLIT)
QUARANTINE_OUTPUT = "quarantine"
REPORT_OUTPUT = "report"
# The file ProcessData writes in its report output (on several instances, each one names its
# own after itself: processing_report-algo-2.json).
PROCESSING_REPORT_FILE = "processing_report.json"
PROCESSING_OUTPUTS = (*SPLITS, QUARANTINE_OUTPUT, REPORT_OUTPUT)
# Where a processing job describes its cluster ({"current_host", "hosts"}): with several
# instances each one processes its shard of the raw input and names its output files after
# itself, because every instance's output folder is uploaded to the same S3 prefix.
PROCESSING_RESOURCE_CONFIG = "/opt/ml/config/resourceconfig.json"
# EvaluateModel's one output, the folder that holds EVALUATION_FILE.
EVALUATION_OUTPUT = "evaluation"

# --- Training job (TrainModel): each channel arrives in TRAINING_CHANNEL_ROOT/<name> (and its
# path in SM_CHANNEL_<NAME>); each channel is the ProcessData output of the same name.
TRAINING_CHANNELS = (TRAIN_SPLIT, VALIDATION_SPLIT)
TRAINING_CHANNEL_ROOT = "/opt/ml/input/data"
# ModelTrainer ships the source_dir as the "code" channel.
TRAINING_CODE_DIR = f"{TRAINING_CHANNEL_ROOT}/code"
TRAINING_HYPERPARAMETERS_FILE = "/opt/ml/input/config/hyperparameters.json"
# SageMaker's model folder: training writes it (the job packs it into model.tar.gz) and the
# serving container unpacks model.tar.gz into it.
MODEL_DIR = "/opt/ml/model"
TRAINING_OUTPUT_DATA_DIR = "/opt/ml/output/data"

# --- Files that cross from one side to the other.
# The fitted feature transform: fitted and written by training (where every training row is
# seen), kept in the model, read by evaluation and inference.
TRANSFORM_FILE = "transform.json"
# The evaluation report: the EvaluationReport property file and the registered model metrics.
EVALUATION_FILE = "evaluation.json"
# The run report EvaluateModel writes beside it (one self-contained page, and its Markdown).
REPORT_HTML_FILE = "report.html"
REPORT_MARKDOWN_FILE = "report.md"
# Where the quality gate reads the metric inside EVALUATION_FILE.
GATE_METRIC_PATH = "regression_metrics.rmse.value"
# The same figure as text, which its Fail message quotes (expressions cannot round a number).
GATE_METRIC_TEXT_PATH = "regression_metrics.rmse.text"
# Where it reads how much higher the new model's RMSE is than the champion's (0 with none), and
# the sentence with both figures that its Fail step quotes (evaluation/champion.py).
CHAMPION_GATE_PATH = "champion.rmse_above_champion"
CHAMPION_DESCRIPTION_PATH = "champion.description"

# --- Serving code inside model.tar.gz (training writes it; the registered model names it).
SERVING_CODE_DIR = "code"
SERVING_ENTRY = "inference.py"
SERVING_SUBMIT_DIRECTORY = f"{MODEL_DIR}/{SERVING_CODE_DIR}"
# Top-level files of the ml_scripts package that every code bundle and the serving code ship.
PACKAGE_MODULES = ("__init__.py", "layout.py")

# --- Hyperparameters the pipeline passes explicitly, with the training script's defaults,
# chosen by cross-validation on train + validation of the embedded data (bench/RESULTS.md).
DEFAULT_MAX_DEPTH = 4
DEFAULT_ETA = 0.03
DEFAULT_NUM_ROUND = 4000

# --- Input limits of ProcessData, per file (ml_scripts/common/limits.py says how they are
# sized). The builder passes them to the job as arguments, so the definition states them.
DEFAULT_MAX_INPUT_BYTES = 10 * 1024**3
DEFAULT_MAX_LINE_BYTES = 1024**2
DEFAULT_MAX_ROWS = 20_000_000
