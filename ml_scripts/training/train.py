"""Training step: fit the feature transform, XGBoost + ridge on log1p(SalePrice), and write
the model directory.

Run by the SageMaker ModelTrainer driver as ``python ml_scripts/training/train.py --max_depth 4
...`` (PYTHONPATH = the code folder), so imports are absolute. Paths come from the command line,
else the SageMaker environment (SM_CHANNEL_TRAIN, SM_MODEL_DIR, ...), else the container's
defaults. Hyperparameters: ``training/hyperparameters.py``; fitting: ``training/fit.py``; what
lands in the model directory: ``training/package.py``.

On a job with several hosts SageMaker runs this same command on each of them
(``training/cluster.py``): every host reads its share of the rows (``training/shards.py``),
they train one model together, and only the first host writes the model directory (SageMaker
packs the model folders of all hosts into one model.tar.gz, so the others leave theirs empty).
The transform is fitted here, where every training row is seen, and shipped in the model.
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
from ml_scripts.common.io import configure_logging, env_path, table_files, write_json
from ml_scripts.common.io import hash_files as sha256_files
from ml_scripts.training.cluster import Cluster, joined
from ml_scripts.training.fit import fit_feature_transform, train_model
from ml_scripts.training.hyperparameters import (
    FIELD_TYPES,
    Hyperparameters,
    cli_flags,
    environment_hyperparameters,
    merge_hyperparameters,
)
from ml_scripts.training.package import save_model
from ml_scripts.training.shards import read_shard

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingPaths:
    """Inputs and outputs of the training step."""

    train: Path
    validation: Path
    model_dir: Path
    output_data_dir: Path

    @classmethod
    def from_processing_output(cls, processed: Path, work: Path) -> TrainingPaths:
        """Each channel from the processing output folder of its name; outputs under `work`."""
        return cls(
            train=processed / layout.TRAIN_SPLIT,
            validation=processed / layout.VALIDATION_SPLIT,
            model_dir=work / "model",
            output_data_dir=work / "output",
        )


def input_sha256(paths: TrainingPaths) -> dict[str, dict[str, str]]:
    """SHA-256 of every input file, by input and path (relative to a channel folder)."""

    def split(location: Path) -> dict[str, str]:
        return sha256_files(table_files(location), location if location.is_dir() else None)

    return {"train": split(paths.train), "validation": split(paths.validation)}


def run_training(
    paths: TrainingPaths,
    hp: Hyperparameters,
    *,
    verbose_eval: int | bool = 200,
    cluster: Cluster | None = None,
) -> dict[str, Any]:
    """Read this host's rows, fit the transform and the model with the other hosts, and (first
    host only) write the model directory; return the model card (other hosts: what they did)."""
    cluster = cluster or Cluster.single()
    with joined(cluster) as reducer:
        train, train_shard = read_shard(paths.train, cluster.rank, cluster.size)
        validation, validation_shard = read_shard(paths.validation, cluster.rank, cluster.size)
        transform = fit_feature_transform(train, reducer)
        result = train_model(
            train, validation, transform, hp, verbose_eval=verbose_eval, reducer=reducer
        )
        host = {
            "host": cluster.current_host,
            "train_rows": len(train),
            "validation_rows": len(validation),
            "timing": result.timing,
        }
        hosts = reducer.gather(host)
    result.rows["train_repeated_across_parts"] = train_shard.repeated
    result.rows["validation_repeated_across_parts"] = validation_shard.repeated
    if cluster.rank != 0:
        logger.info("host %s done; the first host writes the model", cluster.current_host)
        return {**host, "model_written": False}
    card = save_model(result, hp, paths.model_dir, input_sha256(paths), hosts=cluster.size)
    write_json(paths.output_data_dir / "training_summary.json", {**card, "hosts": hosts})
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
        run_training(paths, hp, cluster=Cluster.from_environment(os.environ))
    except (ValueError, FileNotFoundError, KeyError) as exc:
        return report_failure(logger, "training", ValueError(_without_stack(str(exc))))
    return 0


def _without_stack(message: str) -> str:
    """An XGBoost error without its native stack trace (a host whose peer stopped gets one)."""
    return message.split("Stack trace:", 1)[0].strip()


if __name__ == "__main__":
    raise SystemExit(main())
