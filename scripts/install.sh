#!/usr/bin/env bash
# Set up netlab on a fresh Debian machine, as root: a virtualenv in .venv with
# netlab installed. With --test, also the test tools: pytest, and the Debian
# packages the tests compare netlab with (ss, tcpdump, iputils ping, fping,
# nftables for loss injection, man-db for the man page check).
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

apt_packages=()
need() { command -v "$1" >/dev/null 2>&1 || apt_packages+=("$2"); }
need ip iproute2
if [ "$want_tests" = 1 ]; then
    need ss iproute2
    need tcpdump tcpdump
    need ping iputils-ping
    need fping fping
    need nft nftables
    need man man-db
    need lsof lsof
    need netstat net-tools
fi
python3 -c 'import ensurepip' >/dev/null 2>&1 || apt_packages+=(python3-venv)
# A C compiler and Python's headers build netlab._speedups, the C walk of /proc,
# sock_diag reader and table aligner that make `netlab conns` fast. (Without
# them the install still works, on the slower pure-Python code.)
need gcc gcc
[ -e /usr/include/stdio.h ] || apt_packages+=(libc6-dev)
python3 -c 'import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || apt_packages+=(python3-dev)
if [ "${#apt_packages[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
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
