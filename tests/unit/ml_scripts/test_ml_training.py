"""Training: hyperparameter sources, exclusions, artifacts in the model directory."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from ml_scripts.common import contract
from ml_scripts.common.features import exclusion_mask
from ml_scripts.common.io import read_split
from ml_scripts.common.linear import RidgeModel, _RidgeSystem
from ml_scripts.inference.model import HousePriceModel
from ml_scripts.training.fit import fit_feature_transform, train_model
from ml_scripts.training.hyperparameters import (
    FIELD_TYPES,
    Hyperparameters,
    environment_hyperparameters,
    merge_hyperparameters,
)
from ml_scripts.training.train import parse_args


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
    with pytest.raises(ValueError, match="refit_on_validation must be 0 or 1"):
        merge_hyperparameters({"refit_on_validation": "2"})


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


def test_each_hyperparameter_converts_to_its_declared_type() -> None:
    # A float field with an int default (eta: float = 1) would truncate "0.03" to 0.
    declared = {f.name: f.type for f in dataclasses.fields(Hyperparameters)}
    assert {name: kind.__name__ for name, kind in FIELD_TYPES.items()} == declared


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


def test_model_card_says_the_model_was_refitted_on_train_and_validation(model_dir: Path) -> None:
    card = json.loads((model_dir / "model_card.json").read_text())
    assert card["hyperparameters"]["refit_on_validation"] == 1
    assert card["model"]["fitted_on"] == "train + validation"
    assert 0 < card["rows"]["validation_fitted"] <= card["rows"]["validation"]
    assert "before any refit" in card["validation_metrics"]["model"]


def test_training_summary_times_the_boosting_rounds_and_both_ridge_fits(model_dir: Path) -> None:
    summary = json.loads((model_dir.parent / "output" / "training_summary.json").read_text())
    timing = summary["hosts"][0]["timing"]
    assert timing["early_stopping"]["rounds"] >= timing["refit"]["rounds"] > 0
    assert timing["ridge"]["fits"] == 2  # on train, then on train + validation
    assert timing["ridge"]["seconds"] > 0
    assert "timing" not in json.loads((model_dir / "model_card.json").read_text())


def _small_training(processed_dir: Path, *, refit: int = 1) -> tuple[HousePriceModel, int]:
    train = read_split(processed_dir / "train")
    validation = read_split(processed_dir / "validation")
    transform = fit_feature_transform(train)
    hp = Hyperparameters(num_round=60, eta=0.2, refit_on_validation=refit)
    result = train_model(train, validation, transform, hp, verbose_eval=False)
    return result.model, result.best_iteration


def test_training_with_refit_is_deterministic(processed_dir: Path) -> None:
    first, best = _small_training(processed_dir)
    second, _ = _small_training(processed_dir)
    assert first.booster.save_raw("ubj") == second.booster.save_raw("ubj")
    assert first.booster.num_boosted_rounds() == best + 1
    assert first.linear is not None and second.linear is not None
    assert first.linear.coef == second.linear.coef


def test_refit_changes_the_shipped_model_but_not_the_round_count(processed_dir: Path) -> None:
    refitted, best = _small_training(processed_dir)
    train_only, best_train_only = _small_training(processed_dir, refit=0)
    assert best == best_train_only
    assert refitted.booster.num_boosted_rounds() == train_only.booster.num_boosted_rounds()
    assert refitted.booster.save_raw("ubj") != train_only.booster.save_raw("ubj")


def test_huber_ridge_resists_a_gross_outlier_that_least_squares_follows() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 3))
    target = features @ np.array([1.0, -2.0, 0.5]) + 10.0 + rng.normal(scale=0.05, size=200)
    target[0] -= 20.0  # one sale at a tiny fraction of its value
    names = ["a", "b", "c"]
    plain = RidgeModel.fit(features, target, names, alpha=0.1, blend_weight=0.5)
    robust = RidgeModel.fit(features, target, names, alpha=0.1, blend_weight=0.5, huber_k=1.345)
    clean = features[1:]
    truth = clean @ np.array([1.0, -2.0, 0.5]) + 10.0

    def error(model: RidgeModel) -> float:
        return float(np.sqrt(np.mean((model.predict(clean) - truth) ** 2)))

    assert error(robust) < 0.03 < error(plain)
    assert robust.huber_k == 1.345


def test_least_squares_ridge_is_the_closed_form_solution() -> None:
    rng = np.random.default_rng(1)
    features = rng.normal(size=(50, 2))
    target = features @ np.array([3.0, 1.0]) + 2.0
    model = RidgeModel.fit(features, target, ["a", "b"], alpha=0.0, blend_weight=1.0)
    np.testing.assert_allclose(model.predict(features), target, atol=1e-9)


def test_reweighted_solve_matches_a_direct_weighted_ridge() -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(size=(120, 4))
    target = z @ np.array([0.5, -1.0, 2.0, 0.0]) + 3.0 + rng.normal(size=120)
    weights = np.where(rng.random(120) < 0.2, rng.random(120), 1.0)
    alpha = 2.5
    x = np.column_stack([np.ones(len(z)), z])
    coef, intercept = _RidgeSystem(x, target).solve(alpha, weights)
    # Reference: weighted centring, then the penalised normal equations of the centred problem.
    total = weights.sum()
    centre = weights @ z / total
    centred = z - centre
    gram = centred.T @ (weights[:, None] * centred) + alpha * weights.mean() * np.eye(4)
    expected = np.linalg.solve(gram, centred.T @ (weights * (target - weights @ target / total)))
    np.testing.assert_allclose(coef, expected, rtol=1e-10, atol=1e-12)
    assert intercept == pytest.approx(weights @ target / total - centre @ expected, abs=1e-10)


def test_linear_model_json_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    features = rng.normal(size=(30, 2))
    model = RidgeModel.fit(
        features, features[:, 0], ["a", "b"], alpha=1.0, blend_weight=0.5, huber_k=1.345
    )
    model.save(tmp_path / "linear.json")
    assert RidgeModel.load(tmp_path / "linear.json") == model
