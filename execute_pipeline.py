"""The seed's entry point, kept: `python execute_pipeline.py [--monitor] [--param Name=Value ...]`.

Everything is handed to `python -m pipeline_definition execute`, which takes the same flags
(and more: --timeout, --pipeline-name, --display-name, --profile, --region; see --help).
"""

import sys

from pipeline_definition.launcher import launch

if __name__ == "__main__":
    sys.exit(launch(["execute", *sys.argv[1:]]))
