"""Run the command-line interface: `python -m pipeline_definition COMMAND ...`."""

import sys

from pipeline_definition.launcher import launch

sys.exit(launch())
