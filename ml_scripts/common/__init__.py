"""Shared by every step: the data contract, CSV record reading, validation, feature transform."""
