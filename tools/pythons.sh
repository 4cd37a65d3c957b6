#!/usr/bin/env bash
# The Pythons this project runs on: which interpreter `make` builds its virtual environments with,
# when an existing one must be rebuilt, and `make test-pythons`. Shell, not Python: it runs before
# any supported Python is known.
#
#   tools/pythons.sh supported       the supported versions, newest first
#   tools/pythons.sh pick            the interpreter to use: $PYTHON, else the newest on the PATH
#   tools/pythons.sh venv-ok DIR     status 0 when DIR is a virtual environment that may be kept
#   tools/pythons.sh venv DIR        make DIR a virtual environment (rebuilt, with a message, if it
#                                    was made by another Python than $PYTHON or no longer runs)
#   tools/pythons.sh found           "VERSION INTERPRETER" for each supported version on this
#                                    machine: on the PATH or under pyenv's versions folder
#   tools/pythons.sh test-each [DIR] the unit and integration tests under each of them, each in
#                                    its own virtual environment, timed: DIR (default .venv) for
#                                    the version it has or would get, .venv-VERSION for the others
set -euo pipefail

# Newest first. pyproject.toml (requires-python), the CI matrix and the README follow this list;
# tests/unit/test_pythons.py keeps them in step.
SUPPORTED=(3.13 3.12 3.11)

die() {
    echo "$*" >&2
    exit 1
}

is_supported() {
    local version
    for version in "${SUPPORTED[@]}"; do
        [[ $version == "$1" ]] && return 0
    done
    return 1
}

# "3.11, 3.12 or 3.13"
supported_text() {
    local text="" index
    for ((index = ${#SUPPORTED[@]} - 1; index > 0; index--)); do
        text+="${SUPPORTED[index]}, "
    done
    echo "${text%, } or ${SUPPORTED[0]}"
}

# "MINOR RELEASE EXECUTABLE" of an interpreter that runs, status 1 for one that does not: a pyenv
# shim of a version that is not selected sits on the PATH, yet fails. The executable is the base
# interpreter, not a virtual environment's (make puts .venv/bin first on the PATH). Python 2 can
# answer too.
describe() {
    local out
    out=$("$1" -c 'import platform, sys
print("%d.%d %s %s" % (sys.version_info[0], sys.version_info[1], platform.python_version(),
                       getattr(sys, "_base_executable", sys.executable)))' 2>/dev/null) || return 1
    [[ -n $out ]] || return 1
    echo "$out"
}

pyenv_root() {
    echo "${PYENV_ROOT:-$HOME/.pyenv}"
}

# Interpreters of Python $1 on this machine, best first: the PATH, then pyenv's releases (newest
# first; free-threaded and development builds are left out).
candidates_of() {
    local version=$1 root
    root=$(pyenv_root)
    command -v "python$version" 2>/dev/null || true
    if [[ -d $root/versions ]]; then
        find "$root/versions" -mindepth 3 -maxdepth 3 -path "*/bin/python$version" 2>/dev/null |
            grep -E "/versions/${version//./\\.}\.[0-9]+/bin/" | sort -r -V || true
    fi
}

# The first interpreter of Python $1 on this machine that runs; status 1 when there is none.
find_version() {
    local candidate info minor release executable
    while IFS= read -r candidate; do
        [[ -n $candidate ]] || continue
        info=$(describe "$candidate") || continue
        read -r minor release executable <<<"$info"
        if [[ $minor == "$1" ]]; then
            echo "$executable"
            return 0
        fi
    done < <(candidates_of "$1")
    return 1
}

advice() {
    local version python
    for version in "${SUPPORTED[@]}"; do
        if python=$(find_version "$version"); then
            echo "Point at one: make run PYTHON=$python"
            return
        fi
    done
    echo "Install one (your package manager, python.org or pyenv), or point at one:" \
        "make run PYTHON=/path/to/python${SUPPORTED[1]}"
}

pick() {
    local candidate info minor release executable seen=""
    if [[ -n ${PYTHON:-} ]]; then
        info=$(describe "$PYTHON") ||
            die "PYTHON=$PYTHON does not run a Python; this project needs Python" \
                "$(supported_text). $(advice)"
        read -r minor release executable <<<"$info"
        is_supported "$minor" ||
            die "PYTHON=$PYTHON is Python $release; this project needs Python $(supported_text)." \
                "$(advice)"
        echo "$executable"
        return
    fi
    for candidate in "${SUPPORTED[@]/#/python}" python3 python; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if info=$(describe "$candidate"); then
            read -r minor release executable <<<"$info"
            if is_supported "$minor"; then
                echo "$executable"
                return
            fi
            seen+="${seen:+, }$candidate is $release"
        else
            seen+="${seen:+, }$candidate does not run"
        fi
    done
    die "No supported Python on the PATH: this project needs Python $(supported_text)" \
        "(found: ${seen:-no python3 at all}). $(advice)"
}

# Why the virtual environment DIR cannot be kept; nothing when it can.
venv_problem() {
    local dir=$1 info minor release executable wanted
    if [[ ! -f $dir/pyvenv.cfg ]]; then
        echo "it is not a virtual environment"
        return
    fi
    if ! info=$(describe "$dir/bin/python"); then
        echo "its Python no longer runs (the interpreter it was made with moved or was removed)"
        return
    fi
    read -r minor release executable <<<"$info"
    if ! is_supported "$minor"; then
        echo "it was made with Python $release, and this project needs Python $(supported_text)"
        return
    fi
    if [[ -n ${PYTHON:-} ]]; then
        if ! info=$(describe "$PYTHON"); then
            echo "PYTHON=$PYTHON does not run"
            return
        fi
        read -r wanted _ <<<"$info"
        if [[ $wanted != "$minor" ]]; then
            echo "it was made with Python $release, and PYTHON=$PYTHON is Python $wanted"
        fi
    fi
}

venv_ok() {
    [[ -e $1 ]] && [[ -z $(venv_problem "$1") ]]
}

venv() {
    local dir=$1 python="" problem info release
    if [[ -n ${PYTHON:-} ]]; then
        python=$(pick) # a bad PYTHON stops here, before anything is removed
    fi
    if [[ -e $dir || -L $dir ]]; then
        problem=$(venv_problem "$dir")
        [[ -n $problem ]] || return 0
        [[ -f $dir/pyvenv.cfg || ! -e $dir ]] ||
            die "$dir exists and is not a virtual environment: move it away, then run make again."
        echo "Rebuilding $dir: $problem." >&2
        rm -rf "$dir"
    fi
    [[ -n $python ]] || python=$(pick)
    info=$(describe "$python")
    read -r _ release _ <<<"$info"
    echo "Making $dir with Python $release ($python)"
    "$python" -m venv "$dir" || die "Could not make $dir with $python (see above)."
}

found() {
    local version python
    for version in "${SUPPORTED[@]}"; do
        if python=$(find_version "$version"); then
            echo "$version $python"
        fi
    done
}

# The Python version (3.X) the virtual environment DIR has, or would get from `make install`
# when it does not exist yet; nothing when it is neither.
main_version() {
    local info minor
    if [[ -f $1/pyvenv.cfg ]]; then
        info=$(describe "$1/bin/python") || return 0
    elif [[ ! -e $1 ]]; then
        info=$(describe "$(pick 2>/dev/null)") || return 0
    else
        return 0
    fi
    read -r minor _ <<<"$info"
    echo "$minor"
}

# Run the unit and integration tests with the Python of the virtual environment DIR; print
# "STATUS|SUMMARY|WALL USER SYS" (the pytest summary line, the times in seconds).
timed_tests() {
    local dir=$1 log timing status=passed summary
    log=$(mktemp)
    timing=$(mktemp)
    local TIMEFORMAT="%R %U %S"
    # The tests' output goes to stderr through fd 3; only the time report goes to $timing.
    if ! { time (
        PATH="$PWD/$dir/bin:$PATH" "$dir/bin/python" -m pytest -q tests/unit tests/integration \
            2>&1 | tee "$log" >&3
        exit "${PIPESTATUS[0]}"
    ); } 3>&2 2>"$timing"; then
        status=FAILED
    fi
    summary=$(grep -v '^\s*$' "$log" | tail -n 1 | tr -d '=' | sed 's/^ *//; s/ *$//')
    echo "$status|${summary:-no test summary}|$(tail -n 1 "$timing")"
    rm -f "$log" "$timing"
}

test_each() {
    local main=${1:-.venv} main_version index version python dir result status summary times
    local wall user sys
    local failed=0 ran=0 rows=() missing=()
    unset PYTHON
    main_version=$(main_version "$main")
    for ((index = ${#SUPPORTED[@]} - 1; index >= 0; index--)); do
        version=${SUPPORTED[index]}
        if ! python=$(find_version "$version"); then
            missing+=("$version")
            continue
        fi
        dir=.venv-$version
        [[ $version != "$main_version" ]] || dir=$main
        echo "=== Python $version: $python, in $dir" >&2
        ran=$((ran + 1))
        if ! "${MAKE:-make}" --no-print-directory install VENV="$dir" PYTHON="$python" >&2; then
            rows+=("$version|$python|FAILED|make install failed|-|-")
            failed=$((failed + 1))
            continue
        fi
        result=$(timed_tests "$dir")
        IFS='|' read -r status summary times <<<"$result"
        read -r wall user sys <<<"$times"
        [[ $status == passed ]] || failed=$((failed + 1))
        rows+=("$version|$python|$status|$summary|$(awk "BEGIN { printf \"%.1f|%.1f\", \
            $wall, $user + $sys }")")
    done
    echo
    echo "Unit and integration tests under each Python found here:"
    printf '%-8s %-7s %-44s %9s %9s  %s\n' python result interpreter "wall s" "CPU s" pytest
    local row
    for row in "${rows[@]+"${rows[@]}"}"; do
        IFS='|' read -r version python status summary wall cpu <<<"$row"
        printf '%-8s %-7s %-44s %9s %9s  %s\n' "$version" "$status" "$python" "$wall" "$cpu" \
            "$summary"
    done
    for version in "${missing[@]+"${missing[@]}"}"; do
        printf '%-8s %-7s not on the PATH nor under %s/versions\n' "$version" "absent" \
            "$(pyenv_root)"
    done
    ((ran > 0)) || die "No supported Python found: install Python $(supported_text)."
    ((failed == 0)) || die "$failed of $ran Pythons failed."
}

command=${1:-}
shift || true
case $command in
supported) echo "${SUPPORTED[*]}" ;;
pick) pick ;;
venv-ok) venv_ok "${1:?usage: venv-ok DIR}" ;;
venv) venv "${1:?usage: venv DIR}" ;;
found) found ;;
test-each) test_each "$@" ;;
*) die "usage: $0 supported|pick|venv-ok DIR|venv DIR|found|test-each [DIR]" ;;
esac
