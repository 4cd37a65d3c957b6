"""Runnable examples of what the project's tools do with pipelines beyond the shipped one."""
