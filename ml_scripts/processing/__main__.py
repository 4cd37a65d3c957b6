"""`python -m ml_scripts.processing`: run the processing step."""

from ml_scripts.processing.preprocess import main

raise SystemExit(main())
