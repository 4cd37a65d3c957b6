"""The step-level diff between two definitions: sources, comparison, formats."""
