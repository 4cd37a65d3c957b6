"""Building the definition: the pipeline factory, parameters, offline session, staging, render."""
