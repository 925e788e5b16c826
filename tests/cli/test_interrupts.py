"""Ctrl-C, SIGTERM and SIGKILL at any moment, start-up included: no traceback, nothing left behind.

Each command runs through the launcher users get (scripts/launcher.py, as install.sh
writes it) and is signalled after a few seeded random delays, the first within its
first 50 ms. What must hold whenever the signal lands:

- no Python traceback, no "Fatal Python error" (the interpreter's own start-up);
- exit 130, or the command's summary (ping's statistics, capture's counts, a watch's end),
  or death by the signal itself where no netlab code runs (env's first instructions, the exit);
- a pcap written with -w reads back;
- no namespace netlab-<pid>-*, no process started by the run (found by a marker
  in the environment every child inherits).
"""

from __future__ import annotations

import os
import random
import signal
import struct
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from netlab.core import netns
from tests.helpers.env import ROOT

SEED = 20261205
DELAYS_PER_COMMAND = 4

# Runs long enough (about a second) for a late signal to land mid-run.
COMMANDS = {
    "ping": ["ping", "-c", "5", "-i", "0.2", "127.0.0.1"],
    "conns": ["conns", "--watch", "0.1", "--iterations", "10"],
    "capture": ["capture", "-i", "lo", "-w", "{out}"],
    "backlog": ["backlog"],
    "reuseaddr-demo": ["reuseaddr-demo"],
    "schema": ["schema", "capture"],  # a start-up and one print: the early signals matter here
    "exporter": ["exporter", "--listen", "127.0.0.1:0"],  # a server: it runs until the signal
    "lab": ["lab", "teardown", "concurrency"],  # namespaces, an nftables table, forked servers
}


def test_every_command_is_here():
    from netlab.cli.app import COMMANDS as REGISTERED

    assert set(REGISTERED) <= set(COMMANDS)


def _delays(name: str, signum: int) -> list[float]:
    """One delay in each band: start-up (0-50 ms), early, middle, late; seeded per command and signal."""
    rng = random.Random(f"{SEED}-{name}-{signum}")
    bands = [(0.0, 0.05), (0.05, 0.15), (0.15, 0.4), (0.4, 0.9)]
    return [round(rng.uniform(low, high), 3) for low, high in bands[:DELAYS_PER_COMMAND]]


@pytest.fixture(scope="module")
def launcher(tmp_path_factory) -> Path:
    """scripts/launcher.py made as install.sh makes it, for this interpreter."""
    path = tmp_path_factory.mktemp("launcher") / "netlab"
    text = (ROOT / "scripts" / "launcher.py").read_text().replace("@PYTHON@", sys.executable)
    path.write_text(text)
    path.chmod(0o755)
    return path


class Run:
    """One netlab process, marked so that everything it starts can be found afterwards."""

    def __init__(self, launcher: Path, args: list[str]):
        self.marker = f"NETLAB_TEST_RUN={uuid.uuid4().hex}"
        env = dict(os.environ, PYTHONPATH=str(ROOT), NETLAB_TEST_RUN=self.marker.split("=", 1)[1])
        env.pop("NETLAB_DEBUG", None)
        self.proc = subprocess.Popen([str(launcher), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            pytest.fail(f"still running {timeout} s after the signal: {err}")
        return self.proc.returncode, out, err

    def leftovers(self) -> tuple[list[str], list[int]]:
        """Namespaces named after this run's pid, and processes carrying its marker."""
        spaces = [n for n in _namespaces() if n.startswith(f"{netns.PREFIX}-{self.proc.pid}-")]
        return spaces, _marked(self.marker)


def _namespaces() -> list[str]:
    try:
        return os.listdir(netns.NETNS_RUN_DIR)
    except FileNotFoundError:
        return []


def _marked(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if marker.encode() in f.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:  # gone meanwhile, or a kernel thread
            pass
    return found


def _wait_gone(run: Run, timeout: float = 5.0) -> tuple[list[str], list[int]]:
    """The leftovers once any process still exiting has exited (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        left = run.leftovers()
        if left == ([], []) or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _check(name: str, signum: int, rc: int, out: str, err: str, pcap: Path) -> None:
    assert "Traceback" not in err and "Fatal Python error" not in err, err
    # -signum: the kernel's default action, when the signal came before env blocked it (its
    # first instructions: nothing begun) or once the run was done (netlab.cli.launch puts the
    # default back for the exit). No traceback then either; the leftovers are checked all the same.
    if rc not in (130, -signum):  # the command got far enough to end with its summary
        summaries = {
            "ping": lambda: rc in (0, 1) and "ping statistics" in out,
            "conns": lambda: rc == 0,  # a watch ends with Ctrl-C
            "capture": lambda: rc == 0 and "packets captured" in err,
            "backlog": lambda: rc == 0 and out.strip(),  # finished before the signal
            "reuseaddr-demo": lambda: rc == 0 and out.strip(),
            "schema": lambda: rc == 0 and out.strip(),
            "exporter": lambda: rc == 0 and signum == signal.SIGTERM and "serving" in out,  # SIGTERM: a clean stop
            "lab": lambda: rc == 0 and out.strip(),  # finished before the signal
        }
        assert summaries[name](), (signum, rc, out, err)
    if name == "capture" and pcap.exists():
        _assert_whole_pcap(pcap.read_bytes())


def _assert_whole_pcap(blob: bytes) -> None:
    """A pcap file as a reader needs it: the file header, then whole records up to the last byte."""
    if not blob:
        return  # the signal came before the file header: an empty file, nothing half-written
    assert len(blob) >= 24 and blob[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"), blob[:24]
    offset = 24
    while offset < len(blob):
        assert offset + 16 <= len(blob), f"a record header cut at byte {offset}"
        caplen = struct.unpack_from("<I", blob, offset + 8)[0]
        offset += 16 + caplen
    assert offset == len(blob), "the last record is cut short"


@pytest.mark.privileged
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("name", COMMANDS)
def test_a_signal_at_any_moment_leaves_no_traceback_and_nothing_behind(name, signum, launcher, tmp_path):
    for delay in _delays(name, signum):
        pcap = tmp_path / f"out-{delay}.pcap"
        run = Run(launcher, [arg.format(out=pcap) for arg in COMMANDS[name]])
        time.sleep(delay)
        run.proc.send_signal(signum)
        rc, out, err = run.finish()
        _check(name, signum, rc, out, err, pcap)
        assert _wait_gone(run) == ([], []), f"{name} after {delay} s"


@pytest.mark.privileged
@pytest.mark.parametrize("name", ["backlog", "reuseaddr-demo", "lab"])
def test_two_runs_at_once_both_answer_and_leave_nothing(name, launcher):
    runs = [Run(launcher, COMMANDS[name]) for _ in range(2)]
    results = [run.finish(timeout=60) for run in runs]
    for rc, out, err in results:
        assert rc == 0 and out.strip(), err
    assert [_wait_gone(run) for run in runs] == [([], [])] * 2


@pytest.mark.privileged
@pytest.mark.parametrize("name", ["backlog", "reuseaddr-demo", "lab"])
def test_two_runs_interrupted_at_once_leave_nothing(name, launcher):
    rng = random.Random(f"{SEED}-pair-{name}")
    runs = [Run(launcher, COMMANDS[name]) for _ in range(2)]
    time.sleep(rng.uniform(0.1, 0.4))
    for run in runs:
        run.proc.send_signal(signal.SIGINT)
    for run in runs:
        rc, out, err = run.finish()
        _check(name, signal.SIGINT, rc, out, err, Path("/nonexistent"))
    assert [_wait_gone(run) for run in runs] == [([], [])] * 2


def _wait_for_namespace(run: Run, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and run.proc.poll() is None:
        spaces = run.leftovers()[0]
        if spaces:
            return spaces
        time.sleep(0.005)
    return []


@pytest.mark.privileged
@pytest.mark.parametrize("name", ["backlog", "reuseaddr-demo"])
def test_after_sigkill_the_next_run_removes_what_was_left(name, launcher):
    run = Run(launcher, COMMANDS[name])
    spaces = _wait_for_namespace(run)
    run.proc.kill()  # no handler runs: the namespace stays behind
    run.finish()
    assert spaces, "the run made no namespace before it was killed"
    assert run.leftovers()[0], "SIGKILL left nothing to clean: the test proves nothing"
    following = Run(launcher, ["backlog", "-c", "3", "-b", "2"])
    rc, _, err = following.finish(timeout=60)
    assert rc == 0, err
    assert _wait_gone(run) == ([], [])
