"""The Lambda function of the batch-prediction example: summarise a transform's predictions.

In AWS it reads the `.out` objects below the S3 prefix it is given with boto3; in a local run
(`run-local --lambda summarise-predictions=examples.batch_predictions.handlers:summarise`) it
reads them from the local store, which run-local names in RUN_LOCAL_S3_ROOT.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def _texts(uri: str) -> list[str]:
    """The text of every `.out` object below an `s3://bucket/prefix`."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    root = os.environ.get("RUN_LOCAL_S3_ROOT")
    if root is not None:
        folder = Path(root, bucket, prefix)
        return [path.read_text() for path in sorted(folder.rglob("*.out"))]
    import boto3  # in AWS only: a local run reads the local store

    s3 = boto3.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = sorted(o["Key"] for page in pages for o in page.get("Contents", []))
    return [
        s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        for key in keys
        if key.endswith(".out")
    ]


def summarise(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """{"rows": how many prices, "mean_price": their mean} of the predictions.

    Each line of a `.out` object is `predicted_price,price_low,price_high` (the model's
    serving code, ml_scripts/inference/serve.py).
    """
    prices = [
        float(line.split(",")[0]) for text in _texts(event["predictions"]) for line in text.split()
    ]
    mean = round(sum(prices) / len(prices), 2) if prices else 0.0
    print(f"{context.function_name}: {len(prices)} predictions, mean {mean}")
    return {"rows": len(prices), "mean_price": mean}
