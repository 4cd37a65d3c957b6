"""Tests of the local executor (`python -m pipeline_definition run-local`)."""
