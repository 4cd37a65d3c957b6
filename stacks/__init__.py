"""The CDK side: one stack that composes small constructs."""
