"""The trigger Lambda's code: standard library, boto3 and `project.run_parameters` only.

The asset holds this package and `project/run_parameters.py` (see `construct.HandlerAsset`), so
Lambda imports it as `handler.handler.lambda_handler` and the rules as `project.run_parameters`;
tests import it as `stacks.trigger.handler.handler`. Modules of this package refer to each other
relatively so both work.
"""
