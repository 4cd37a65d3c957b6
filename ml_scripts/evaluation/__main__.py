"""`python -m ml_scripts.evaluation`: run the evaluation step."""

from ml_scripts.evaluation.evaluate import main

raise SystemExit(main())
