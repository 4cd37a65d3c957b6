"""Offline validation of a definition against the SageMaker API model."""
