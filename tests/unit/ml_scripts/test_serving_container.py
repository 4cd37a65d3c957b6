"""The registered model starts and answers in the XGBoost serving container, with no internet.

This follows the container's published serving contract step by step, with the real pip and
the real Flask (the image's versions: pip 26, Flask 3.1.3), rather than importing it:
sagemaker-containers 2.8.6.post2, which the XGBoost 3.2-0 image pins, is not installable here
(it pins Flask 1.1.1 and builds a C extension). The steps, from its `_server.py`,
`_modules.py`, `_transformer.py` and `_worker.py` and the image's `serving.py`:

1. `serving_entrypoint` -> `_server.start` -> `_modules.import_module(SAGEMAKER_SUBMIT_DIRECTORY,
   <SAGEMAKER_PROGRAM without .py>)`: the model's `code/` is copied to `/opt/ml/code`;
   `prepare` writes a minimal `setup.py` (`setup(packages=[""], name=<module>,
   version="1.0.0", include_package_data=True)`), a `setup.cfg` and a `MANIFEST.in` that
   takes every file; `install` runs `python -m pip install .` in that folder, in the container's
   environment, which is the registered model's Environment.
2. The gunicorn workers (with `/opt/ml/code` on their path) import the module and serve
   `Transformer.transform` from a Flask app whose responses are plain `flask.Response`s.
3. `transform` calls input_fn(body, Content-Type), predict_fn, output_fn(prediction, Accept),
   where Accept falls back to SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT (else application/json) when
   absent or `*/*`. A tuple result becomes `Response(response=body, mimetype=type)`; anything
   else goes back to Flask as is (bytes: `text/html`).

The install runs offline: pip's configuration files are ignored and its index is a closed local
port, as on an endpoint with network isolation.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import venv
from importlib.metadata import version
from pathlib import Path
from typing import Any

import flask
import pytest

from testsupport.definitions import shipped_definition
from testsupport.ml_scripts_testkit import HEADER, ROWS, column, to_csv

pytestmark = pytest.mark.integration

FEATURES = HEADER[: column("SalePrice")]
MODULE_FILE_TEXT = (
    "from setuptools import setup\n\n"
    'setup(packages=[""], name="{name}", version="1.0.0", include_package_data=True)\n'
)
MANIFEST = "recursive-include . *\nrecursive-exclude . __pycache__* *.pyc *.pyo\n"
# setuptools builds wheels itself from 70.1 on; older ones need the `wheel` package, which the
# image does not ship (it has setuptools 83).
SETUPTOOLS_WITH_BDIST_WHEEL = (70, 1)


def registered_environment() -> dict[str, str]:
    """The Environment of the container the shipped definition registers."""
    check = next(s for s in shipped_definition()["Steps"] if s["Name"] == "CheckQuality")
    register = check["Arguments"]["IfSteps"][0]["Arguments"]
    (container,) = register["InferenceSpecification"]["Containers"]
    environment: dict[str, str] = container["Environment"]
    return environment


def prepared_code_dir(model_dir: Path, root: Path, module: str) -> Path:
    """Step 1 up to the install: code/ copied to /opt/ml/code, setup files written."""
    code = root / "opt" / "ml" / "code"
    shutil.copytree(model_dir / "code", code)
    (code / "setup.py").write_text(MODULE_FILE_TEXT.format(name=module))
    (code / "setup.cfg").write_text("[wheel]\nuniversal = 1\n")
    (code / "MANIFEST.in").write_text(MANIFEST)
    return code


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def throwaway_python(root: Path) -> Path:
    """A venv in `root` that sees this interpreter's packages (pip, setuptools, numpy, ...)
    through a .pth file and installs into its own site-packages."""
    venv.EnvBuilder(with_pip=False).create(root)
    (site_packages,) = root.glob("lib/python*/site-packages")
    parents = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    (site_packages / "parent.pth").write_text("\n".join(parents) + "\n")
    return root / "bin" / "python"


def offline_install(python: Path, code: Path, environment: dict[str, str]) -> str:
    """`python -m pip install .` in `code` with `environment` and no reachable index."""
    completed = subprocess.run(
        [str(python), "-m", "pip", "install", "."],
        cwd=code,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(code.parent),
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_CACHE_DIR": str(code.parent / "pip-cache"),
            "PIP_INDEX_URL": f"http://127.0.0.1:{closed_port()}/simple",
            "PIP_RETRIES": "0",
            "PIP_TIMEOUT": "2",
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return f"exit {completed.returncode}\n{completed.stdout}\n{completed.stderr}"


def test_pip_reads_the_registered_environment_as_offline_and_without_isolation() -> None:
    """pip's own option parser on the registered Environment: no isolated build (which would
    fetch setuptools from an index), no index at all, no version check."""
    script = (
        "from pip._internal.commands import create_command\n"
        "options, _ = create_command('install').parse_args(['.'])\n"
        "print(*(bool(getattr(options, name)) for name in\n"
        "    ('build_isolation', 'no_index', 'disable_pip_version_check')))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        env={"PATH": os.environ.get("PATH", ""), "PIP_CONFIG_FILE": os.devnull}
        | registered_environment(),
        capture_output=True,
        text=True,
        check=True,
    )

    assert completed.stdout.split() == ["False", "True", "True"]


def test_the_model_code_installs_offline_with_the_registered_environment(
    model_dir: Path, tmp_path: Path
) -> None:
    environment = registered_environment()
    module = environment["SAGEMAKER_PROGRAM"].removesuffix(".py")
    installed = tuple(int(part) for part in version("setuptools").split(".")[:2])
    if installed < SETUPTOOLS_WITH_BDIST_WHEEL:
        pytest.skip(
            f"setuptools {version('setuptools')} cannot build a wheel without the `wheel` "
            "package; the image has setuptools 83 (pin setuptools==83.0.0 in "
            "requirements-dev.txt to run this step)"
        )
    python = throwaway_python(tmp_path / "venv")
    code = prepared_code_dir(model_dir, tmp_path, module)

    output = offline_install(python, code, environment)
    imported = subprocess.run(
        [str(python), "-c", f"import {module}; print({module}.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert "Successfully installed" in output, output
    assert imported.stdout.strip().startswith(str(tmp_path / "venv")), imported.stderr


def test_without_it_the_install_needs_an_index(model_dir: Path, tmp_path: Path) -> None:
    """Why the variables are there: pip's default isolated build asks an index for setuptools,
    so the container cannot start without the internet."""
    environment = {
        name: value
        for name, value in registered_environment().items()
        if not name.startswith("PIP_")
    }
    python = throwaway_python(tmp_path / "venv")
    code = prepared_code_dir(model_dir, tmp_path, "inference")

    output = offline_install(python, code, environment)

    assert output.startswith("exit 1"), output
    assert "setuptools" in output


def serving_app(code: Path, model_dir: Path, default_accept: str) -> flask.Flask:
    """Steps 2 and 3: the user module's functions behind Flask, as a worker serves them."""
    spec = importlib.util.spec_from_file_location("inference", code / "inference.py")
    assert spec is not None and spec.loader is not None
    user = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(user)
    model = user.model_fn(str(model_dir))
    app = flask.Flask("inference")

    def transform() -> Any:
        request = flask.request
        accept = request.headers.get("Accept")
        if not accept or accept == "*/*":
            accept = default_accept
        content_type = request.headers.get("Content-Type") or "application/json"
        data = user.input_fn(request.get_data(), content_type)
        result = user.output_fn(user.predict_fn(data, model), accept)
        if isinstance(result, tuple):
            return flask.Response(response=result[0], mimetype=result[1])
        return result

    app.add_url_rule("/invocations", view_func=transform, methods=["POST"])
    return app


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("text/csv", "text/csv"),
        ("application/json", "application/json"),
        (None, "text/csv"),
        ("*/*", "text/csv"),
    ],
)
def test_responses_carry_the_content_type_that_was_asked_for(
    model_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    accept: str | None,
    content_type: str,
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # the entry point adds code/ to it
    environment = registered_environment()
    default_accept = environment.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "application/json")
    code = prepared_code_dir(model_dir, tmp_path, "inference")
    client = serving_app(code, model_dir, default_accept).test_client()
    headers = {"Content-Type": "text/csv"} | ({"Accept": accept} if accept else {})

    response = client.post(
        "/invocations",
        data=to_csv(FEATURES, [r[: len(FEATURES)] for r in ROWS[:3]]),
        headers=headers,
    )

    assert response.status_code == 200
    assert response.mimetype == content_type
    assert len(response.get_data().strip().splitlines()) == (3 if content_type == "text/csv" else 1)
