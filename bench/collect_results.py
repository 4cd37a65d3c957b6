"""Assemble bench/RESULTS.md: a summary table, then every recorded fragment in bench/results/."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
FRAGMENTS = (
    "synth",
    "diff",
    "run_local",
    "parity",
    "model_quality",
    "intervals",
    "processing",
    "processing_10m",
    "training",
    "trigger_burst",
    "scale_out_processing",
    "scale_out_training",
    "scale_out_projection",
    "security",
)
INTRO = """# Benchmark results

Last recorded figures of the scripts in `bench/` (`make bench` reruns all but the 10M-row run
and rebuilds this file; `make security` records the gate). This machine is shared (2 cores,
24 GiB), so every speed figure is a ratio against a baseline measured in the same run, with the
load average noted. Goals come from the issues.
"""


def main(summary_file: Path = BENCH / "results" / "summary.md") -> int:
    """Write RESULTS.md from the summary table and the fragments that exist."""
    parts = [INTRO, summary_file.read_text()]
    for name in FRAGMENTS:
        fragment = BENCH / "results" / f"{name}.md"
        if fragment.exists():
            parts.append(fragment.read_text())
    (BENCH / "RESULTS.md").write_text("\n".join(part.rstrip() + "\n" for part in parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
