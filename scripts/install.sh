#!/usr/bin/env bash
# Set up netlab on a fresh Debian machine, as root: a virtualenv in .venv with
# netlab installed, then put it where users look: `netlab` on PATH (a symlink in
# /usr/local/bin), its man pages where man finds them, and bash and zsh
# completion. With --test, also the test tools: pytest, and the Debian
# packages the tests compare netlab with (ss, tcpdump, iputils ping, fping,
# nftables for loss injection, man-db for the man page check, pipx for the
# `pipx install .` check).
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

apt_packages=()
need() { command -v "$1" >/dev/null 2>&1 || apt_packages+=("$2"); }
need ip iproute2
is_root=0
[ "$(id -u)" = 0 ] && is_root=1
# bash-completion loads the completion script written below in every new shell.
[ "$is_root" = 1 ] && [ ! -e /usr/share/bash-completion/bash_completion ] && apt_packages+=(bash-completion)
if [ "$want_tests" = 1 ]; then
    need ss iproute2
    need tcpdump tcpdump
    need tshark tshark  # tests compare capture's statistics with Wireshark's
    need ping iputils-ping
    need fping fping
    need nft nftables
    need man man-db
    need lsof lsof
    need netstat net-tools
    need pipx pipx  # tests/cli/test_pipx.py: `pipx install .` works too
    need prometheus prometheus  # tests/netns/test_exporter.py scrapes netlab exporter with it
fi
python3 -c 'import ensurepip' >/dev/null 2>&1 || apt_packages+=(python3-venv)
# A C compiler and Python's headers build netlab._speedups, the C walk of /proc,
# sock_diag reader and table aligner that make `netlab conns` fast, and
# netlab.capture._cprint, the C printer of `netlab capture`. (Without them the
# install still works, on the slower pure-Python code.)
need gcc gcc
[ -e /usr/include/stdio.h ] || apt_packages+=(libc6-dev)
python3 -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || apt_packages+=(python3-dev)
if [ "${#apt_packages[@]}" -gt 0 ]; then
    if [ "$is_root" != 1 ]; then
        echo "install.sh: need root to apt-get install ${apt_packages[*]}" >&2
        exit 3
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
# A regular (not editable) install: the editable finder costs 10 ms at every start.
# The tests run the working tree itself (pytest's pythonpath and PYTHONPATH).
if [ "$want_tests" = 1 ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check '.[test]' 'setuptools>=77'
    # ... so the C module is built beside the sources too, for the tests to run it.
    .venv/bin/python setup.py -q build_ext --inplace >/dev/null
else
    .venv/bin/python -m pip install -q --disable-pip-version-check .
fi
# The launcher (scripts/launcher.py) in place of pip's script: Python starts with Ctrl-C
# held, so one during its start-up is no traceback. It needs env --block-signal
# (coreutils 8.31); without it pip's script stays.
if env --block-signal=INT true 2>/dev/null; then
    sed "1s|@PYTHON@|$(pwd)/.venv/bin/python|" scripts/launcher.py > .venv/bin/netlab
    chmod 755 .venv/bin/netlab
fi

# Where users look. The venv's share/man is on man's path for anyone with .venv/bin
# on PATH (man-db maps each PATH entry's ../share/man); as root, also the system's.
venv=$(pwd)/.venv
install -d .venv/share/man/man1
install -m 644 man/*.1 .venv/share/man/man1/
# The completion scripts are typer's own, written once here rather than made at each
# shell start.
complete_script() { _NETLAB_COMPLETE="source_$1" .venv/bin/netlab; }
if [ "$is_root" = 1 ]; then
    install -d "/usr/local/bin" "/usr/local/share/man/man1" \
        "/usr/share/bash-completion/completions" "/usr/local/share/zsh/site-functions"
    ln -sfn "$venv/bin/netlab" "/usr/local/bin/netlab"
    install -m 644 man/*.1 "/usr/local/share/man/man1/"
    if command -v mandb >/dev/null 2>&1; then mandb -q >/dev/null 2>&1 || true; fi
    complete_script bash > "/usr/share/bash-completion/completions/netlab"
    # zsh reads #compdef on the first line (typer's script starts with a blank one), and
    # autoloads _netlab as the body of a function: it defines typer's function, then runs it.
    { complete_script zsh | sed '/./,$!d'; echo '_netlab_completion "$@"'; } > "/usr/local/share/zsh/site-functions/_netlab"
    echo "netlab is installed: /usr/local/bin/netlab -> $venv/bin/netlab"
else
    completions=${XDG_DATA_HOME:-$HOME/.local/share}/bash-completion/completions
    install -d "$completions"
    complete_script bash > "$completions/netlab"
    echo "netlab is installed in $venv/bin: add it to PATH (export PATH=\"$venv/bin:\$PATH\") for netlab and its man pages"
fi
echo "Next: netlab conns          (sockets and their processes, like ss -tuanp)"
echo "      netlab ping 127.0.0.1 (then: man netlab, netlab COMMAND --help; TAB completes in a new shell)"
