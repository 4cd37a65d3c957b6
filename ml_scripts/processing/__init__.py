"""Processing step: validate raw sales, quarantine bad rows, split, fit the feature transform."""
