"""Shared fixtures: one hermetic synthesis of the app per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from testsupport.synthesis import Synthesis, hermetic_environ, synthesize


@pytest.fixture(scope="session")
def synthesis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesis]:
    """The app synthesized once per session: no credentials, no network, default settings."""
    yield synthesize(tmp_path_factory.mktemp("cdk.out"), hermetic_environ())


@pytest.fixture(scope="session")
def synthesize_app(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[dict[str, str]], Synthesis]:
    """Synthesize the app again with extra environment settings (each call is a full synth)."""

    def run(extra: dict[str, str]) -> Synthesis:
        return synthesize(tmp_path_factory.mktemp("cdk.out"), hermetic_environ(extra))

    return run


@pytest.fixture(scope="session")
def template(synthesis: Synthesis) -> dict[str, Any]:
    """The synthesized stack template."""
    return synthesis.template


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The definitions of testsupport.corpus, rendered by the SDK once per session (~10 s)."""
    from testsupport.corpus.catalogue import render_corpus

    return render_corpus(tmp_path_factory.mktemp("corpus-staging"))
