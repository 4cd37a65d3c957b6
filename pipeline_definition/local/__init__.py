"""Run a rendered pipeline definition on this machine: no Docker, no AWS account.

The executor interprets the same definition JSON that `cdk deploy` ships. S3 is a folder
(`store`), each job runs its container command as a subprocess in a sandbox that stands in for
`/opt/ml` (`sandbox`, `processing`, `training`), and the model registry is a folder
(`registry`); Model steps keep their models in a folder (`models`), which Transform steps
run through the model's own serving code (`transform`, `serving_worker`), and Lambda steps
call a handler mapped to their function (`lambda_step`, `lambda_host`). `executor` schedules
the steps (`readiness` decides, run conditions included); `runner` wires everything for the
CLI.
"""
