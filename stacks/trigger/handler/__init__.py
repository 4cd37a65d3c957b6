"""The trigger Lambda's code, shipped as the `handler` package: standard library and boto3 only.

Lambda imports it as `handler.handler.lambda_handler`; tests import it as
`stacks.trigger.handler.handler`. Modules refer to each other relatively so both work.
"""
