"""The processing step's report: row counts per file and in all, reasons, splits, limits.

Written to `report/processing_report.json` (on several instances, each writes its own:
`report/processing_report-algo-2.json`) whatever happens: `succeeded`, or `failed` with the
one-line reason, never left at `running`. The totals are the sums over the files, including a
file the step stopped in, so `rows_in == rows_clean + rows_quarantined + rows_duplicate` holds
in every report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ml_scripts.common import contract
from ml_scripts.processing.cluster import Instance

if TYPE_CHECKING:
    from ml_scripts.processing.preprocess import ProcessingConfig


@dataclass
class FileStats:
    """Row counts of one input file."""

    file: str
    rows_in: int = 0
    rows_clean: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    blank_lines: int = 0
    extra_columns: list[str] = field(default_factory=list)


@dataclass
class ProcessingReport:
    """What the step did, written to report/processing_report.json."""

    status: str = "running"
    failure: str | None = None
    rows_in: int = 0
    rows_clean: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    files: list[FileStats] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    missing: dict[str, int] = field(default_factory=dict)
    none: dict[str, int] = field(default_factory=dict)
    splits: dict[str, int] = field(default_factory=dict)
    instance: Instance = field(default_factory=Instance)
    warnings: list[str] = field(default_factory=list)
    output_format: str = ""

    def add_up(self) -> None:
        """Set the totals to the sums over the files read so far."""
        self.rows_in = sum(f.rows_in for f in self.files)
        self.rows_clean = sum(f.rows_clean for f in self.files)
        self.rows_quarantined = sum(f.rows_quarantined for f in self.files)
        self.rows_duplicate = sum(f.rows_duplicate for f in self.files)

    @property
    def invariant_holds(self) -> bool:
        """rows_in == rows_clean + rows_quarantined + rows_duplicate."""
        return self.rows_in == self.rows_clean + self.rows_quarantined + self.rows_duplicate

    @property
    def quarantine_rate(self) -> float:
        """Share of input rows that were quarantined."""
        return self.rows_quarantined / self.rows_in if self.rows_in else 0.0

    def to_dict(self, config: ProcessingConfig) -> dict[str, Any]:
        """JSON-ready report."""
        clean = max(self.rows_clean, 1)
        missing = {
            name: {
                "missing_rate": self.missing.get(name, 0) / clean,
                "none_rate": self.none.get(name, 0) / clean,
                "unknown_rate": (self.missing.get(name, 0) - self.none.get(name, 0)) / clean,
            }
            for name in contract.REQUIRED_COLUMNS
        }
        return {
            "status": self.status,
            "failure": self.failure,
            "input_uri": config.input_uri,
            "input_data_type": config.input_data_type,
            "input_version": config.input_version,
            "contract_version": contract.CONTRACT_VERSION,
            "host": self.instance.current_host,
            "hosts": list(self.instance.hosts),
            "rows_in": self.rows_in,
            "rows_clean": self.rows_clean,
            "rows_quarantined": self.rows_quarantined,
            "rows_duplicate": self.rows_duplicate,
            "invariant": "rows_in == rows_clean + rows_quarantined + rows_duplicate",
            "invariant_holds": self.invariant_holds,
            "quarantine_rate": self.quarantine_rate,
            "max_quarantine_rate": config.max_quarantine_rate,
            "reasons": dict(sorted(self.reasons.items())),
            "files": [asdict(f) for f in self.files],
            "missing": missing,
            "splits": self.splits,
            "split": {
                "seed": config.seed,
                "validation_fraction": config.validation_fraction,
                "test_fraction": config.test_fraction,
                "method": "BLAKE2b content hash of each row, mixed with the seed",
            },
            "output_format": self.output_format,
            "limits": asdict(config.limits),
            "warnings": self.warnings,
        }
