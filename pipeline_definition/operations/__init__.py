"""Operating the deployed pipeline: start, watch, inspect and list executions.

The command modules (`commands/execute.py`, `status.py`, `list_executions.py`) parse arguments
and print; everything else lives here as functions of a SageMaker client, so tests can drive
them with moto, a Stubber or a fake client and a fake clock.
"""


class OperationError(Exception):
    """A problem the user must fix (credentials, region, names, values): one clear line."""
