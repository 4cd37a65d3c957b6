"""Training step: fit XGBoost + ridge on log1p(SalePrice) and write the model directory.

Run by the SageMaker ModelTrainer driver as ``python ml_scripts/training/train.py --max_depth 4
...`` (PYTHONPATH = the code folder), so imports are absolute. Paths come from the command line,
else the SageMaker environment (SM_CHANNEL_TRAIN, SM_MODEL_DIR, ...), else the container's
defaults. Hyperparameters: ``training/hyperparameters.py``; fitting: ``training/fit.py``; what
lands in the model directory: ``training/package.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml_scripts import layout
from ml_scripts.common.cli import report_failure
from ml_scripts.common.features import FeatureTransform
from ml_scripts.common.io import configure_logging, env_path, read_split, table_files, write_json
from ml_scripts.common.io import hash_files as sha256_files
from ml_scripts.training.fit import train_model
from ml_scripts.training.hyperparameters import (
    FIELD_TYPES,
    Hyperparameters,
    cli_flags,
    environment_hyperparameters,
    merge_hyperparameters,
)
from ml_scripts.training.package import save_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingPaths:
    """Inputs and outputs of the training step."""

    train: Path
    validation: Path
    transform: Path
    model_dir: Path
    output_data_dir: Path

    @classmethod
    def from_processing_output(cls, processed: Path, work: Path) -> TrainingPaths:
        """Each channel from the processing output folder of its name; outputs under `work`."""
        return cls(
            train=processed / layout.TRAIN_SPLIT,
            validation=processed / layout.VALIDATION_SPLIT,
            transform=processed / layout.TRANSFORM_OUTPUT,
            model_dir=work / "model",
            output_data_dir=work / "output",
        )

    @property
    def transform_file(self) -> Path:
        """transform.json: `transform` itself, or the file of that name in the folder."""
        if self.transform.is_dir():
            return self.transform / layout.TRANSFORM_FILE
        return self.transform


def input_sha256(paths: TrainingPaths) -> dict[str, dict[str, str]]:
    """SHA-256 of every input file, by input and path (relative to a channel folder)."""

    def split(location: Path) -> dict[str, str]:
        return sha256_files(table_files(location), location if location.is_dir() else None)

    transform = paths.transform_file
    return {
        "train": split(paths.train),
        "validation": split(paths.validation),
        "transform": sha256_files([transform], transform.parent),
    }


def run_training(
    paths: TrainingPaths, hp: Hyperparameters, *, verbose_eval: int | bool = 200
) -> dict[str, Any]:
    """Load the splits and transform, train, write the model directory; return the model card."""
    transform = FeatureTransform.load(paths.transform_file)
    train = read_split(paths.train)
    validation = read_split(paths.validation)
    result = train_model(train, validation, transform, hp, verbose_eval=verbose_eval)
    card = save_model(result, hp, paths.model_dir, input_sha256(paths))
    write_json(paths.output_data_dir / "training_summary.json", card)
    rmse = result.validation_metrics["log1p_price"]["rmse"]
    logger.info(
        "best iteration %d; validation rmse (log1p price) %.5f", result.best_iteration, rmse
    )
    return card


def _channel(name: str) -> Path:
    return env_path(f"SM_CHANNEL_{name.upper()}", f"{layout.TRAINING_CHANNEL_ROOT}/{name}")


def parse_args(argv: Sequence[str] | None) -> tuple[TrainingPaths, dict[str, Any]]:
    """Paths (argument, else SageMaker environment, else container default), CLI hyperparameters."""
    parser = argparse.ArgumentParser(
        prog="train.py",
        description="Train XGBoost (+ ridge blend) on log1p(SalePrice).",
        allow_abbrev=False,
    )
    parser.add_argument("--train", type=Path, default=None)
    parser.add_argument("--validation", type=Path, default=None)
    parser.add_argument("--transform", type=Path, default=None)
    parser.add_argument("--model-dir", "--model_dir", dest="model_dir", type=Path, default=None)
    parser.add_argument(
        "--output-data-dir", "--output_data_dir", dest="output_data_dir", type=Path, default=None
    )
    defaults = Hyperparameters()
    for name in FIELD_TYPES:
        parser.add_argument(
            *cli_flags(name),
            dest=name,
            type=str,
            default=None,
            help=f"default {getattr(defaults, name)}",
        )
    args = parser.parse_args(argv)
    paths = TrainingPaths(
        train=args.train or _channel(layout.TRAIN_SPLIT),
        validation=args.validation or _channel(layout.VALIDATION_SPLIT),
        transform=args.transform or _channel(layout.TRANSFORM_OUTPUT),
        model_dir=args.model_dir or env_path("SM_MODEL_DIR", layout.MODEL_DIR),
        output_data_dir=args.output_data_dir
        or env_path("SM_OUTPUT_DATA_DIR", layout.TRAINING_OUTPUT_DATA_DIR),
    )
    cli = {name: getattr(args, name) for name in FIELD_TYPES}
    return paths, {k: v for k, v in cli.items() if v is not None}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success, 1 when inputs or hyperparameters are unusable."""
    configure_logging()
    paths, cli = parse_args(argv)
    try:
        from_file, from_env = environment_hyperparameters(os.environ)
        hp, ignored = merge_hyperparameters(from_file, from_env, cli)
        for key in ignored:
            logger.warning("ignored unknown hyperparameter %r", key)
        logger.info("hyperparameters: %s", dataclasses.asdict(hp))
        run_training(paths, hp)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        return report_failure(logger, "training", exc)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
