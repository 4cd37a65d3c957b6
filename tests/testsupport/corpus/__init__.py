"""A corpus of pipeline definitions the SageMaker SDK v3 renders, one or more per step type.

Each entry is built with the SDK's own step classes under the offline pipeline session
(`pipeline_definition.build.offline_session`), rendered with `Pipeline.definition()`, and
comes with a set of mutations, each a defect the validator must report. The corpus is
rendered once per test session (`render_corpus`); the tests check that the validator finds
no issue in any valid entry, catches every mutation, and that `run-local` runs or refuses
each entry cleanly.
"""
