"""The trigger: EventBridge rules and the Lambda function that start pipeline runs.

`construct.py` is the CDK side; `handler/` is the function's code (with the shared run-parameter
rules copied beside it at synth), which tests import without starting the CDK's jsii runtime.
"""
