"""Parity mode of `run-local` (`--parity`): each job in its image's Python and libraries.

- `locks`: one lock file per image tag (`locks/*.txt`), pinned from the image's published
  manifest, and the lookup from an image URI to its lock;
- `interpreters`: the Python of a lock's minor version, found on PATH or under pyenv;
- `envs`: one virtual environment per lock and Python, built once into a cache;
- `namespace`: a private `/opt/ml` through a Linux user and mount namespace;
- `commands`, `kinds`: the job commands and the step kinds that run in those environments;
- `prepare`: everything above for one definition, before any step runs.
"""
