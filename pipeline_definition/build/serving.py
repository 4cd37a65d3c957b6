"""The registered model's container environment: serve from model.tar.gz, with no internet.

The XGBoost 3.2-0 image serves a script-mode model through sagemaker-containers 2.8.6.post2:
`serving_entrypoint` -> `_server.start`, which, whenever SAGEMAKER_PROGRAM is set, calls
`_modules.import_module(SAGEMAKER_SUBMIT_DIRECTORY, ...)`. That copies the model's `code/` to
`/opt/ml/code`, writes a `setup.py` and runs `python -m pip install .` before gunicorn starts;
the MMS path (`serving_mms`) does the same. No code layout avoids the install: without
SAGEMAKER_PROGRAM the container serves the built-in algorithm instead of our functions.

The install itself needs no network, but pip builds the folder in an isolated environment,
which downloads setuptools from PyPI. On an endpoint or transform job with network isolation
(or no egress) that fails ("No matching distribution found for setuptools"), and the model
never starts. pip reads its options from the environment, so the model tells it:

- PIP_NO_BUILD_ISOLATION=false: build with the image's own setuptools (83.x in 3.2-0, which
  builds wheels itself). pip maps the value onto `--no-build-isolation` inverted (the option
  is `store_false` into `build_isolation`), so "false" is what turns isolation OFF.
- PIP_NO_INDEX=true: never reach for an index; anything missing fails at once instead of
  waiting on connection retries.
- PIP_DISABLE_PIP_VERSION_CHECK=true: no call to PyPI for pip's own version.

SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT makes a request without an Accept header (or with `*/*`)
get CSV, the serving code's documented default, instead of the container's JSON default.

tests/unit/ml_scripts/test_serving_container.py follows the container's contract step by step
with these values: the same files `prepare` writes, the same `pip install .`, offline.
"""

from __future__ import annotations

from ml_scripts import layout

CSV = "text/csv"


def serving_environment() -> dict[str, str]:
    """The environment variables of the registered model's container."""
    return {
        # The serving code is inside model.tar.gz (written at training time), so the SDK
        # needs no repack job.
        "SAGEMAKER_PROGRAM": layout.SERVING_ENTRY,
        "SAGEMAKER_SUBMIT_DIRECTORY": layout.SERVING_SUBMIT_DIRECTORY,
        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": CSV,
        "PIP_NO_BUILD_ISOLATION": "false",
        "PIP_NO_INDEX": "true",
        "PIP_DISABLE_PIP_VERSION_CHECK": "true",
    }
