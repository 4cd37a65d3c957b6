"""Import the SageMaker SDK without the libraries that rendering a definition never runs.

`import sagemaker` pulls in numpy, pandas, pyarrow and scipy (serializers), omegaconf (training
recipes), the AI registry, docker (local mode), rich (console styling) and paramiko (remote
functions): a third of a render's CPU time, for code a pipeline render does not call. Inside
`without_unused_sdk_dependencies` those packages import as inert stand-ins: any name taken
from them is a placeholder class that does nothing. A render that did use one would fail or
differ, and the test that compares a prefetched render with a full one would say so.

Only the prefetch subprocess uses this: it renders and exits, so the stand-ins never meet
code that needs the real libraries.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# Packages whose __init__ imports a lot, of which rendering uses one plain submodule
# (graphene's str_converters, for camel case): the package is empty, its submodules real.
HOLLOW_FOR_RENDERING = ("graphene",)
UNUSED_BY_RENDERING = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "omegaconf",
    "sagemaker.ai_registry",
    "docker",
    "rich",
    "paramiko",
)


class _Placeholder(type):
    """A stand-in class: its attributes and subscripts are stand-ins too."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Placeholder(name, (), {"__module__": cls.__module__})

    def __getitem__(cls, _: Any) -> Any:
        return cls


class _InertModule(types.ModuleType):
    """A stand-in package: every name imported from it is a placeholder class."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        placeholder = _Placeholder(name, (), {"__module__": self.__name__})
        setattr(self, name, placeholder)
        return placeholder


class _InertFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, names: Sequence[str], hollow: Sequence[str]) -> None:
        self.names = tuple(names)
        self.hollow = tuple(hollow)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if any(fullname == name or fullname.startswith(name + ".") for name in self.names):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        if fullname in self.hollow:
            real = importlib.machinery.PathFinder.find_spec(fullname, path)
            if real is None or real.submodule_search_locations is None:
                return None
            spec = importlib.machinery.ModuleSpec(fullname, self, is_package=True)
            spec.submodule_search_locations = list(real.submodule_search_locations)
            return spec
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if spec.name in self.hollow:
            # Empty, but its submodules import from the real package folder.
            module = types.ModuleType(spec.name)
            module.__path__ = list(spec.submodule_search_locations or [])
            return module
        module = _InertModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the module is inert."""


@contextmanager
def without_unused_sdk_dependencies(
    names: Sequence[str] = UNUSED_BY_RENDERING, hollow: Sequence[str] = HOLLOW_FOR_RENDERING
) -> Iterator[None]:
    """Import `names` (and their submodules) as inert stand-ins, and `hollow` packages
    without their __init__, until the block ends."""
    finder = _InertFinder(names, hollow)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
