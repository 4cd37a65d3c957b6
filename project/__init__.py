"""Settings, project paths and run-parameter rules: imported by every side, importing none."""
