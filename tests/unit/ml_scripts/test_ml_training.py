"""Training: hyperparameter sources, exclusions, artifacts in the model directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml_scripts.common import contract
from ml_scripts.inference.model import HousePriceModel
from ml_scripts.training.train import (
    Hyperparameters,
    environment_hyperparameters,
    exclusion_mask,
    merge_hyperparameters,
    parse_args,
)


def test_string_values_from_sagemaker_are_converted() -> None:
    hp, ignored = merge_hyperparameters({"max_depth": "6", "eta": "0.1", "num_round": "50.0"})
    assert (hp.max_depth, hp.eta, hp.num_round, ignored) == (6, 0.1, 50, [])


def test_later_sources_win_and_unknown_keys_are_reported() -> None:
    hp, ignored = merge_hyperparameters(
        {"max_depth": "3", "sagemaker_program": "x"}, {"max-depth": 5}, {"max_depth": "7"}
    )
    assert hp.max_depth == 7
    assert ignored == ["sagemaker_program"]


def test_aliases_reach_their_hyperparameter() -> None:
    hp, _ = merge_hyperparameters({"lambda": "2", "alpha": "0.5", "learning_rate": "0.2"})
    assert (hp.reg_lambda, hp.reg_alpha, hp.eta) == (2.0, 0.5, 0.2)


def test_invalid_values_are_refused_with_the_name() -> None:
    with pytest.raises(ValueError, match="hyperparameter max_depth='deep' is not a valid int"):
        merge_hyperparameters({"max_depth": "deep"})
    with pytest.raises(ValueError, match="subsample and colsample_bytree must be in"):
        merge_hyperparameters({"subsample": "1.5"})


def test_cli_accepts_underscore_and_dash_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SM_CHANNEL_TRAIN", "/data/train")
    monkeypatch.setenv("SM_MODEL_DIR", "/data/model")
    paths, cli = parse_args(["--max_depth", "6", "--min-child-weight", "3", "--eta", "0.05"])
    assert cli == {"max_depth": "6", "min_child_weight": "3", "eta": "0.05"}
    assert (paths.train, paths.model_dir) == (Path("/data/train"), Path("/data/model"))
    assert paths.validation == Path("/opt/ml/input/data/validation")


def test_hyperparameters_come_from_the_file_and_sm_hps(tmp_path: Path) -> None:
    config = tmp_path / "hyperparameters.json"
    config.write_text(json.dumps({"max_depth": "5", "eta": "0.2"}))
    environ = {"SM_INPUT_TRAINING_CONFIG_FILE": str(config), "SM_HPS": '{"eta": "0.3"}'}
    from_file, from_env = environment_hyperparameters(environ)
    hp, _ = merge_hyperparameters(from_file, from_env)
    assert (hp.max_depth, hp.eta) == (5, 0.3)


def test_default_xgboost_params_are_hist_and_seeded() -> None:
    params = Hyperparameters().xgboost_params()
    assert (params["tree_method"], params["seed"], params["nthread"]) == ("hist", 42, 1)


def test_very_large_houses_are_excluded_from_fitting(processed_dir: Path) -> None:
    from ml_scripts.common.io import read_split

    train = read_split(processed_dir / "train")
    mask = exclusion_mask(train)
    assert mask.sum() == (train["Gr Liv Area"] > 4000).sum() > 0


def test_model_directory_holds_model_transform_card_and_serving_code(model_dir: Path) -> None:
    names = {p.name for p in model_dir.iterdir()}
    assert {"model.ubj", "transform.json", "linear.json", "model_card.json", "code"} <= names
    code = model_dir / "code"
    assert (code / "inference.py").read_text() == (
        Path(__file__).resolve().parents[3] / "ml_scripts" / "inference" / "entry.py"
    ).read_text()
    assert (code / "ml_scripts" / "common" / "contract.py").is_file()
    assert (code / "ml_scripts" / "inference" / "serve.py").is_file()
    assert not list(code.rglob("__pycache__"))
    assert not (code / "ml_scripts" / "training").exists()


def test_model_card_records_provenance_and_metrics(model_dir: Path) -> None:
    card = json.loads((model_dir / "model_card.json").read_text())
    assert len(card["data_sha256"]["train"]["train.parquet"]) == 64
    assert card["model"]["best_iteration"] >= 0
    assert card["library_versions"]["xgboost"]
    assert card["hyperparameters"]["num_round"] == 150
    assert 0 < card["validation_metrics"]["log1p_price"]["rmse"] < 0.3
    assert card["rows"]["train_excluded"] > 0
    assert card["training_exclusions"][0]["column"] == "Gr Liv Area"
    assert card["contract_version"] == contract.CONTRACT_VERSION


def test_saved_model_loads_and_keeps_only_the_best_trees(model_dir: Path) -> None:
    card = json.loads((model_dir / "model_card.json").read_text())
    model = HousePriceModel.load(model_dir)
    assert model.booster.num_boosted_rounds() == card["model"]["trees"]
    assert model.linear is not None and model.linear.blend_weight == 0.5
