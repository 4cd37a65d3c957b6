"""Run the command-line interface."""

import sys

from pipeline_definition.cli import main

sys.exit(main())
