"""Evaluation step: test-split metrics in SageMaker's shape, plus plots."""
