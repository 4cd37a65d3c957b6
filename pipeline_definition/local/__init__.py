"""Run a rendered pipeline definition on this machine: no Docker, no AWS account.

The executor interprets the same definition JSON that `cdk deploy` ships. S3 is a folder
(`store`), each job runs its container command as a subprocess in a sandbox that stands in for
`/opt/ml` (`sandbox`, `processing`, `training`), and the model registry is a folder
(`registry`). `executor` schedules the steps; `runner` wires everything for the CLI.
"""
