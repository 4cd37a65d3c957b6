"""What one change is, told for people: a new code bundle, an image tag, an instance type, ...

Each describer recognises one kind of change by its path (and values) and says it the way that
kind reads best; `describe_change` asks them in turn and falls back to `path: old -> new`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from pipeline_definition.diff.model import MISSING, Category, Change
from pipeline_definition.diff.paths import UNORDERED_KEYS, last_key
from pipeline_definition.diff.values import (
    render_condition,
    render_retry_policy,
    render_set_change,
    render_value,
    retry_key,
)
from pipeline_definition.model.expressions import IMAGE_KEYS

CODE_URI = re.compile(
    r"^(?P<prefix>.*/code/(?P<bundle>[^/]+)/)(?P<hash>[0-9a-f]{8,64})(?P<rest>/.*)?$"
)
IMAGE_URI = re.compile(r"^(?P<registry>[^/]+)/(?P<repository>[^:@]+)(?::(?P<tag>[\w.-]+))?$")
SHORT_HASH = 8


@dataclass(frozen=True)
class _Description:
    """What a describer makes of a change; no summary means `subject: before -> after`."""

    category: Category
    subject: str
    before: str
    after: str
    summary: str | None = None


def _plain(category: Category, subject: str, old: Any, new: Any) -> _Description:
    return _Description(category, subject, render_value(old), render_value(new))


def _with_summary(described: _Description, lead: str) -> _Description:
    """The same description, summarised as `lead before -> after`."""
    return replace(described, summary=f"{lead} {described.before} -> {described.after}")


def _describe_code(path: str, old: Any, new: Any) -> _Description | None:
    if not (isinstance(old, str) and isinstance(new, str)):
        return None
    before, after = CODE_URI.match(old), CODE_URI.match(new)
    if not (before and after) or before.group("bundle", "rest") != after.group("bundle", "rest"):
        return None
    subject = f"code bundle '{after['bundle']}'"
    old_hash, new_hash = _short(before["hash"]), _short(after["hash"])
    return _Description(
        "code", subject, old_hash, new_hash, f"{subject} changed: {old_hash} -> {new_hash}"
    )


def _describe_image(path: str, old: Any, new: Any) -> _Description | None:
    if last_key(path) not in IMAGE_KEYS:
        return None
    before = IMAGE_URI.match(old) if isinstance(old, str) else None
    after = IMAGE_URI.match(new) if isinstance(new, str) else None
    if before and after and before.group(1, 2) == after.group(1, 2):
        repository = after["repository"].rsplit("/", 1)[-1]
        old_tag, new_tag = before["tag"] or "(none)", after["tag"] or "(none)"
        return _Description(
            "image",
            f"{path} image {repository} tag",
            old_tag,
            new_tag,
            f"{path}: image {repository} tag {old_tag} -> {new_tag}",
        )
    return _with_summary(_plain("image", f"{path} image", old, new), f"{path}: image")


def _describe_instance_type(path: str, old: Any, new: Any) -> _Description | None:
    if last_key(path) != "InstanceType":
        return None
    described = _plain("instance-type", f"{path} instance type", old, new)
    return _with_summary(described, f"{path}: instance type")


def _describe_hyperparameter(path: str, old: Any, new: Any) -> _Description | None:
    match = re.search(r"(?:^|\.)HyperParameters\.([^.\[]+)$", path)
    if not match:
        return None
    return _plain("hyperparameter", f"hyperparameter {match[1]}", old, new)


def _describe_condition(path: str, old: Any, new: Any) -> _Description | None:
    match = re.search(r"Conditions\[(\d+)\]$", path)
    if not match:
        return None
    return _Description(
        "condition",
        f"condition {int(match[1]) + 1}",
        "(none)" if old is MISSING else render_condition(old),
        "(none)" if new is MISSING else render_condition(new),
    )


def _describe_retry(path: str, old: Any, new: Any) -> _Description | None:
    if not path.startswith("RetryPolicies"):
        return None
    match = re.match(r"^RetryPolicies\[(?P<key>[^\]]*)\](?:\.(?P<field>.+))?$", path)
    if not match:
        return _Description("retry", "retry policies", _policies(old), _policies(new))
    subject = f"retry policy on [{match['key']}]"
    if match["field"]:
        described = _plain("retry", f"{subject} {match['field']}", old, new)
        return _with_summary(described, f"{subject}: {match['field']}")
    before = "(none)" if old is MISSING else render_retry_policy(old)
    after = "(none)" if new is MISSING else render_retry_policy(new)
    return _Description("retry", subject, before, after)


def _describe_cache(path: str, old: Any, new: Any) -> _Description | None:
    if not path.startswith("CacheConfig"):
        return None
    if path == "CacheConfig.Enabled":
        state = {True: "enabled", False: "disabled"}
        before = state.get(old, render_value(old)) if isinstance(old, bool) else render_value(old)
        after = state.get(new, render_value(new)) if isinstance(new, bool) else render_value(new)
        return _Description("cache", "cache", before, after)
    if path == "CacheConfig.ExpireAfter":
        return _plain("cache", "cache expiry", old, new)
    return _plain("cache", path, old, new)


def _describe_sets(path: str, old: Any, new: Any) -> _Description | None:
    if path == "DependsOn":
        category: Category = "depends-on"
        subject = "depends on"
    elif last_key(path) in UNORDERED_KEYS:
        category, subject = "value", path
    else:
        return None
    described = _plain(category, subject, old, new)
    return _Description(
        category,
        subject,
        described.before,
        described.after,
        f"{subject}: {render_set_change(old, new)}",
    )


DESCRIBERS = (
    _describe_code,
    _describe_image,
    _describe_instance_type,
    _describe_hyperparameter,
    _describe_condition,
    _describe_retry,
    _describe_cache,
    _describe_sets,
)


def describe_change(path: str, old: Any, new: Any) -> Change:
    """Build a Change at `path`, described by the first describer that recognises it."""
    described = next(
        (d for d in (describe(path, old, new) for describe in DESCRIBERS) if d is not None),
        None,
    ) or _plain("value", path, old, new)
    summary = described.summary or f"{described.subject}: {described.before} -> {described.after}"
    return Change(
        path=path,
        old=old,
        new=new,
        category=described.category,
        subject=described.subject,
        before=described.before,
        after=described.after,
        summary=summary,
    )


def _policies(policies: Any) -> str:
    if policies is MISSING:
        return "(none)"
    if not isinstance(policies, list):
        return render_value(policies)
    if not policies:
        return "(none)"
    return "; ".join(f"on [{retry_key(p)}]: {render_retry_policy(p)}" for p in policies)


def _short(digest: str) -> str:
    return digest[:SHORT_HASH] + "…" if len(digest) > SHORT_HASH else digest
