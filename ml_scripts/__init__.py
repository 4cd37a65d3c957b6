"""Code that runs inside the SageMaker containers: processing, training, evaluation, inference."""
