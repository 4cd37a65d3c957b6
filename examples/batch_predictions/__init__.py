"""The shipped pipeline plus batch predictions: a Model step, a Transform step on the test
split and a Lambda step that summarises the predictions, to run locally with run-local."""
