"""How much one input file may hold: bytes once decompressed, bytes per line, rows.

Without these a small hostile file can exhaust the job: a 1 MB gzip holding one 1 GiB line
used to end in a MemoryError, and a 1 MB gzip of newlines ran for hours. The reader enforces
them as it streams (records.py), so memory stays at one chunk plus one line, and a breach fails
the step with one message that names the file, the limit and the option that sets it.

The defaults (`ml_scripts/layout.py`) are sized for ProcessData's default instance, an
ml.t3.medium (2 vCPUs, 4 GiB of memory) with the jobs' 30 GB volume and one-hour MaxRuntime:

- rows: 20,000,000 per file. Processing runs at about 145,000 rows a second on a 2-core
  laptop (bench/RESULTS.md), so the limit costs about 2.5 minutes there and leaves most of the
  hour for a slower or throttled instance; duplicate detection keeps 8 bytes per row (160 MB).
  Every line after the header counts, blank ones too, so a file of newlines stops here.
- bytes: 10 GiB per file once decompressed, about 30 million rows of the embedded data's shape
  (340 bytes a row), and a third of the volume, which also holds the download and the outputs.
- line length: 1 MiB. A row of the embedded data is about 340 bytes; memory holds one 16 MiB
  chunk plus at most one line beyond it. A quoted field spanning lines has the same limit.

Each is a container argument of the processing step (`--max-input-bytes`, `--max-line-bytes`,
`--max-rows`), which the pipeline builder sets from the same defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

from ml_scripts import layout

# Below this a line could not hold one row of the data set's 82 columns.
MIN_LINE_BYTES = 1024


@dataclass(frozen=True)
class InputLimits:
    """Per-file limits on the raw input."""

    max_input_bytes: int = layout.DEFAULT_MAX_INPUT_BYTES
    max_line_bytes: int = layout.DEFAULT_MAX_LINE_BYTES
    max_rows: int = layout.DEFAULT_MAX_ROWS

    def problem(self) -> str | None:
        """Why these limits cannot be used, or None."""
        if self.max_line_bytes < MIN_LINE_BYTES:
            return f"--max-line-bytes must be at least {MIN_LINE_BYTES:,}"
        if self.max_input_bytes < self.max_line_bytes:
            return "--max-input-bytes must be at least --max-line-bytes"
        if self.max_rows < 1:
            return "--max-rows must be at least 1"
        return None
