"""Inference: the model as consumers load it, the serving functions and a batch CLI."""
