"""A private `/opt/ml` for one job: a Linux user namespace with its own mount namespace.

`unshare --user --map-root-user --mount` needs no privilege where the kernel allows
unprivileged user namespaces (most Linux distributions). Inside, the job's sandbox is
bind-mounted on `/opt/ml`, so the container's fixed paths work unchanged and nothing outside
the process sees the mount. When `/opt/ml` does not exist (the usual case), a tmpfs is put on
`/opt` first, every entry of the real `/opt` is bound back into it, and `/opt/ml` is created
there: the host's `/opt` stays untouched and its contents stay visible to the job. Files the
job writes belong to the user who runs `run-local`. A job with network isolation also gets a
network namespace of its own (`--net`): only a loopback device that is down, as SageMaker
gives isolated containers no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CONTAINER_ROOT = "/opt/ml"
PROBE_TIMEOUT_SECONDS = 30
# $1: the sandbox, $2: an empty folder to hold the real /opt while /opt is replaced; the
# job's argv follows. It starts in /opt/ml (the images' WORKDIR is /, which here would be
# the host's). `exec` keeps the job in the process group the executor can stop.
SETUP = r"""set -eu
sandbox=$1; real_opt=$2; shift 2
if [ ! -d /opt/ml ]; then
  mount --bind /opt "$real_opt"
  mount -t tmpfs -o mode=755 parity-opt /opt
  for entry in "$real_opt"/* "$real_opt"/.[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    target=/opt/$(basename "$entry")
    if [ -L "$entry" ]; then ln -s "$(readlink "$entry")" "$target"
    elif [ -d "$entry" ]; then mkdir "$target"; mount --rbind "$entry" "$target"
    else : > "$target"; mount --bind "$entry" "$target"
    fi
  done
  mkdir /opt/ml
fi
mount --bind "$sandbox" /opt/ml
cd /opt/ml
exec "$@"
"""
REQUIREMENT = (
    "Linux user namespaces: `unshare --user --map-root-user --mount --net` from util-linux, with "
    "unprivileged user namespaces allowed (sysctl kernel.unprivileged_userns_clone=1; on "
    "Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0)"
)


@dataclass(frozen=True)
class Namespace:
    """How to give a job its own `/opt/ml`: `unshare` and the setup script."""

    unshare: str  # the executable's path

    def wrap(
        self, argv: Sequence[str], sandbox: Path, *, isolate_network: bool = False
    ) -> tuple[str, ...]:
        """`argv` to run with `sandbox` mounted on `/opt/ml` (and no network when isolated)."""
        real_opt = sandbox.parent / ".real-opt"
        real_opt.mkdir(parents=True, exist_ok=True)
        return (
            self.unshare,
            "--user",
            "--map-root-user",
            "--mount",
            *(("--net",) if isolate_network else ()),
            "--",
            "/bin/sh",
            "-c",
            SETUP,
            "parity-namespace",
            str(sandbox),
            str(real_opt),
            *argv,
        )


@dataclass(frozen=True)
class NamespaceSupport:
    """Whether this machine can run jobs in a namespace; `reason` says why not."""

    namespace: Namespace | None
    reason: str = ""


def _probe_run(namespace: Namespace) -> str:
    """Mount a scratch sandbox and look for its file at /opt/ml; '' when it works."""
    with tempfile.TemporaryDirectory(prefix="parity-probe-") as scratch:
        sandbox = Path(scratch) / "sandbox"
        sandbox.mkdir()
        (sandbox / "probe").write_text("ok")
        argv = namespace.wrap(
            ["/bin/sh", "-c", f"test -f {CONTAINER_ROOT}/probe"], sandbox, isolate_network=True
        )
        try:
            completed = subprocess.run(
                argv, capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return str(error)
    if completed.returncode == 0:
        return ""
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"exit code {completed.returncode}"


def probe_namespace() -> NamespaceSupport:
    """Try the namespace once; the reason names what is missing when it does not work."""
    if not sys.platform.startswith("linux"):
        return NamespaceSupport(None, f"this is {sys.platform}, not Linux")
    unshare = shutil.which("unshare")
    if unshare is None:
        return NamespaceSupport(None, "`unshare` (util-linux) is not on PATH")
    if not Path("/opt").is_dir() and not Path(CONTAINER_ROOT).is_dir():
        return NamespaceSupport(None, "/opt does not exist, so /opt/ml has no place to go")
    namespace = Namespace(unshare)
    failure = _probe_run(namespace)
    if failure:
        return NamespaceSupport(
            None, f"`unshare --user --map-root-user --mount --net` failed: {failure}"
        )
    return NamespaceSupport(namespace)
