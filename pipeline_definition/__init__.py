"""The pipeline definition: build it with the SageMaker SDK, render, validate, diff and run it."""
