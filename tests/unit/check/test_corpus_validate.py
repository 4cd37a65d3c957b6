"""The validator on definitions SDK v3 renders for every step type it offers.

No false positive on a valid definition, every injected defect caught at the step and with
the kind it names, and the README's figures are the ones measured here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from pipeline_definition.check.steps import STEP_TYPES
from pipeline_definition.check.validate import validate_definition
from project.paths import PROJECT_ROOT
from testsupport.corpus.catalogue import Entry, Mutation, all_entries, mutated

ENTRIES = all_entries()
MUTATIONS = [(entry, mutation) for entry in ENTRIES for mutation in entry.mutations]


def errors(definition: dict[str, Any], **options: Any) -> list[tuple[str, str]]:
    """(kind, step) of every error the validator reports."""
    issues = validate_definition(definition, **options)
    return [(issue.kind, issue.step) for issue in issues if issue.severity == "error"]


def test_the_corpus_covers_every_step_type_of_the_sdk() -> None:
    covered = {step_type for entry in ENTRIES for step_type in entry.step_types}
    assert covered == STEP_TYPES


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
def test_a_valid_definition_has_no_issue(corpus: dict[str, Any], entry: Entry) -> None:
    assert errors(corpus[entry.name]) == list(entry.sdk_issues)


def test_the_sdks_typed_hyperparameters_can_be_a_warning(corpus: dict[str, Any]) -> None:
    definition = corpus["training-typed-hyperparameters"]
    assert errors(definition, typed_hyperparameters="warning") == []
    (issue,) = validate_definition(definition, typed_hyperparameters="warning")
    assert issue.severity == "warning"
    assert "NumRound.to_string()" in issue.message


@pytest.mark.parametrize(
    ("entry", "mutation"),
    MUTATIONS,
    ids=[f"{entry.name}: {mutation.name}" for entry, mutation in MUTATIONS],
)
def test_every_mutation_is_caught_where_it_is(
    corpus: dict[str, Any], entry: Entry, mutation: Mutation
) -> None:
    found = errors(mutated(corpus[entry.name], mutation))
    assert (mutation.kind, mutation.step) in found, found


def corpus_figures(corpus: dict[str, Any]) -> dict[str, int]:
    """What the README states about the corpus, measured."""
    valid = [entry for entry in ENTRIES if not entry.sdk_issues]
    false_positives = sum(len(errors(corpus[entry.name])) for entry in valid)
    caught = sum(
        (mutation.kind, mutation.step) in errors(mutated(corpus[entry.name], mutation))
        for entry, mutation in MUTATIONS
    )
    return {
        "definitions": len(ENTRIES),
        "valid": len(valid),
        "false_positives": false_positives,
        "caught": caught,
        "mutations": len(MUTATIONS),
        "step_types": len({t for entry in ENTRIES for t in entry.step_types}),
    }


def test_the_readme_states_the_measured_figures(corpus: dict[str, Any]) -> None:
    figures = corpus_figures(corpus)
    readme = (PROJECT_ROOT / "README.md").read_text()
    sentence = (
        r"(?P<valid>\d+) valid definitions \((?P<step_types>\d+) step types\), "
        r"(?P<false_positives>\d+) false positives; (?P<caught>\d+) of (?P<mutations>\d+) "
        r"injected defects caught"
    )
    # The README wraps its lines anywhere.
    match = re.search(sentence.replace(" ", r"\s+"), readme)
    assert match is not None, "the README's corpus figures are missing"
    stated = {name: int(value) for name, value in match.groupdict().items()}
    assert stated == {name: figures[name] for name in stated}
