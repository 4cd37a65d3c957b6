"""Inference: serving functions, the batch CLI, and the entry point shipped in the model."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from ml_scripts.inference import predict, serve
from ml_scripts.inference.model import HousePriceModel, PriceRanges
from testsupport.ml_scripts_testkit import HEADER, ROWS, column, run_python, to_csv

FEATURES = HEADER[: column("SalePrice")]


@pytest.fixture(scope="module")
def model(model_dir: Path) -> HousePriceModel:
    return serve.model_fn(str(model_dir))


def _score(model: HousePriceModel, body: bytes | str, content_type: str) -> np.ndarray:
    return serve.predict_fn(serve.input_fn(body, content_type), model).price


def test_csv_request_gives_one_price_per_row_in_order(model: HousePriceModel) -> None:
    body = to_csv(FEATURES, [r[: len(FEATURES)] for r in ROWS[:5]])
    prices = _score(model, body, "text/csv")
    assert prices.shape == (5,)
    assert np.all((prices > 10_000) & (prices < 1_000_000))
    single = [
        _score(model, to_csv(FEATURES, [r[: len(FEATURES)]]), "text/csv")[0] for r in ROWS[:5]
    ]
    np.testing.assert_allclose(prices, single)


def test_column_order_and_extra_columns_do_not_change_predictions(
    model: HousePriceModel,
) -> None:
    rows = [r[: len(FEATURES)] for r in ROWS[:5]]
    order = list(reversed(range(len(FEATURES))))
    shuffled = to_csv(
        ["Comment", *[FEATURES[i] for i in order]], [["hi", *[r[i] for i in order]] for r in rows]
    )
    np.testing.assert_allclose(
        _score(model, shuffled, "text/csv"), _score(model, to_csv(FEATURES, rows), "text/csv")
    )


def test_json_records_give_the_same_prices_as_csv(model: HousePriceModel) -> None:
    rows = [r[: len(FEATURES)] for r in ROWS[:4]]
    records = [dict(zip(FEATURES, r, strict=True)) for r in rows]
    from_json = _score(model, json.dumps(records), "application/json")
    from_csv = _score(model, to_csv(FEATURES, rows), "text/csv; charset=utf-8")
    np.testing.assert_allclose(from_json, from_csv)


def test_a_bad_row_fails_the_request_naming_the_row(model: HousePriceModel) -> None:
    rows = [r[: len(FEATURES)] for r in ROWS[:4]]
    rows[2][column("Gr Liv Area")] = "huge"
    with pytest.raises(
        ValueError, match="1 row\\(s\\) cannot be scored: line 4: Gr Liv Area: not a number"
    ):
        serve.input_fn(to_csv(FEATURES, rows), "text/csv")


def test_a_missing_column_fails_the_request(model: HousePriceModel) -> None:
    keep = [c for c in FEATURES if c != "Neighborhood"]
    rows = [[r[HEADER.index(c)] for c in keep] for r in ROWS[:2]]
    with pytest.raises(ValueError, match="missing required column\\(s\\): 'Neighborhood'"):
        serve.input_fn(to_csv(keep, rows), "text/csv")


def test_unsupported_content_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported content type 'text/xml'"):
        serve.input_fn(b"<x/>", "text/xml")


RANGES = PriceRanges(
    price=np.array([123456.789, 98765.4]),
    low=np.array([110000.0, 90000.004]),
    high=np.array([140000.5, 107000.0]),
    level=0.9,
)
CSV_BODY = b"123456.79,110000.00,140000.50\n98765.40,90000.00,107000.00\n"


def test_output_formats_carry_the_content_type_that_was_asked_for() -> None:
    assert serve.output_fn(RANGES, "text/csv") == (CSV_BODY, "text/csv")
    body, media = serve.output_fn(RANGES, "application/json; charset=utf-8")
    assert media == "application/json"
    assert json.loads(body) == {
        "predictions": [
            {"predicted_price": 123456.79, "price_low": 110000.0, "price_high": 140000.5},
            {"predicted_price": 98765.4, "price_low": 90000.0, "price_high": 107000.0},
        ],
        "interval_level": 0.9,
    }
    assert serve.output_fn(RANGES, None) == (CSV_BODY, "text/csv")
    assert serve.output_fn(RANGES, "*/*")[1] == "text/csv"


def test_a_model_without_an_interval_serves_empty_ends() -> None:
    nothing = np.full(1, np.nan)
    ranges = PriceRanges(np.array([100000.0]), nothing, nothing, None)
    assert serve.output_fn(ranges, "text/csv")[0] == b"100000.00,,\n"
    body = json.loads(serve.output_fn(ranges, "application/json")[0])
    assert body == {
        "predictions": [{"predicted_price": 100000.0, "price_low": None, "price_high": None}],
        "interval_level": None,
    }


def test_served_ranges_bracket_each_price(model: HousePriceModel) -> None:
    body = to_csv(FEATURES, [r[: len(FEATURES)] for r in ROWS[:5]])
    ranges = serve.predict_fn(serve.input_fn(body, "text/csv"), model)
    assert ranges.level == 0.9
    assert np.all(ranges.low < ranges.price) and np.all(ranges.price < ranges.high)


def test_predict_cli_writes_a_price_and_its_range_per_row(model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "raw.csv"
    source.write_bytes(to_csv(HEADER, ROWS[:30]))
    code = predict.main(
        ["--model", str(model_dir), "--input", str(source), "--output", str(tmp_path / "p.csv")]
    )
    assert code == 0
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "predicted_price,price_low,price_high"
    assert len(lines) == 31
    for line in lines[1:]:
        price, low, high = (float(v) for v in line.split(","))
        assert 0 < low < price < high


def test_predict_cli_passes_an_id_column_through_to_stdout(
    model_dir: Path, tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    rows = [list(r) for r in ROWS[:4]]
    rows[1][column("PID")] = 'A "quoted", id'
    source = tmp_path / "raw.csv"
    source.write_bytes(to_csv(HEADER, rows))

    code = predict.main(
        ["--model", str(model_dir), "--input", str(source), "--output", "-", "--id-column", "PID"]
    )

    captured = capfdbinary.readouterr()
    assert code == 0
    parsed = list(csv.reader(io.StringIO(captured.out.decode())))
    assert parsed[0] == ["PID", "predicted_price", "price_low", "price_high"]
    assert [row[0] for row in parsed[1:]] == [r[column("PID")] for r in rows]
    assert b"wrote 4 predictions to stdout" in captured.err
    assert b"predicted_price" not in captured.err


def test_predict_cli_refuses_an_unknown_id_column(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "raw.csv"
    source.write_bytes(to_csv(HEADER, ROWS[:2]))
    code = predict.main(
        ["--model", str(model_dir), "--input", str(source), "--output", "-", "--id-column", "Id"]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err.startswith(
        "prediction failed: raw.csv: --id-column 'Id' is not a column of the file (Order, PID"
    )


def test_predict_cli_fails_whole_run_naming_bad_rows(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [list(r) for r in ROWS[:10]]
    rows[3][column("Overall Qual")] = "11"
    rows[6] = rows[6][:-3]
    source = tmp_path / "raw.csv"
    source.write_bytes(to_csv(HEADER, rows))
    output = tmp_path / "p.csv"
    code = predict.main(
        ["--model", str(model_dir), "--input", str(source), "--output", str(output)]
    )
    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # the error is printed once, on stderr alone
    assert captured.err == (
        "prediction failed: 2 row(s) cannot be scored: line 5: Overall Qual: outside the plausible "
        "range 1 to 10 (got 11); "
        "line 8: too few fields (expected 82, found 79)\n"
    )
    assert not output.exists()
    assert list(tmp_path.glob(".p.csv.*")) == []


def test_serving_entry_point_loads_from_the_model_code_folder(
    model_dir: Path, tmp_path: Path
) -> None:
    # As the XGBoost serving container does: import inference.py from code/, nothing else.
    script = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); import inference\n"
        "m = inference.model_fn(sys.argv[2])\n"
        "body = open(sys.argv[3], 'rb').read()\n"
        "out, _ = inference.output_fn("
        "inference.predict_fn(inference.input_fn(body, 'text/csv'), m), 'application/json')\n"
        "first = json.loads(out)['predictions'][0]\n"
        "print(first['price_low'] < first['predicted_price'] < first['price_high'],"
        " inference.__file__)\n"
    )
    body = tmp_path / "body.csv"
    body.write_bytes(to_csv(FEATURES, [ROWS[0][: len(FEATURES)]]))
    output = run_python(
        ["-c", script, str(model_dir / "code"), str(model_dir), str(body)], cwd=tmp_path
    )
    ok, location = output.split()
    assert ok == "True"
    assert location == str(model_dir / "code" / "inference.py")
