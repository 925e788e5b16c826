"""Output that cannot be written: every command says so in one line and exits 2, as coreutils do.

Four faults, each command: stdout on a full disk (/dev/full), stdout closed (``>&-``),
stderr closed (``2>&-``), and a reader that leaves after one line (``| head -1``).
A closed pipe ends quietly with 0: the reader chose to stop.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from bench.pcapgen import write_mixed_pcap
from tests.helpers.cli import netlab_argv
from tests.helpers.env import ROOT

PCAP = "{pcap}"  # a small capture file, made once (the ``pcap`` fixture)

# Short runs of every command, each with an answer on stdout.
COMMANDS = {
    "ping": ["ping", "-c", "1", "127.0.0.1"],
    "conns": ["conns"],
    "capture": ["capture", "-r", PCAP],
    "capture --stats conv": ["capture", "-r", PCAP, "--stats", "conv"],
    "capture --stats io --chart": ["capture", "-r", PCAP, "--stats", "io,0.001", "--chart"],
    "capture --follow": ["capture", "-r", PCAP, "--follow", "tcp,0"],
    "backlog": ["backlog", "-c", "3", "-b", "2"],
    "reuseaddr-demo": ["reuseaddr-demo", "-s", "listener-alive"],
    "schema": ["schema", "conns"],
    "exporter": ["exporter", "--once"],
    "lab": ["lab", "socket-call"],
    "--version": ["--version"],
    "--help": ["--help"],
}


@pytest.fixture(scope="module")
def pcap(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("faults") / "small.pcap"
    write_mixed_pcap(str(path), 50)
    return str(path)


def _args(name: str, pcap: str) -> list[str]:
    return [arg.format(pcap=pcap) for arg in COMMANDS[name]]


def _shell(redirect: str, args: list[str]) -> subprocess.CompletedProcess:
    """Run netlab under bash with this redirection (stderr captured unless the redirection closes it)."""
    return subprocess.run(["bash", "-c", f'"$@" {redirect}', "netlab", *netlab_argv(*args)],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_every_command_is_here():
    from netlab.cli.app import COMMANDS as REGISTERED

    assert set(REGISTERED) <= set(COMMANDS)


def _error_lines(stderr: str) -> list[str]:
    """stderr without capture's banner (tcpdump's 'reading from file ...' line)."""
    return [line for line in stderr.splitlines() if not line.startswith("reading from file")]


@pytest.mark.parametrize("name", COMMANDS)
def test_a_full_disk_is_one_line_and_exit_2(name, pcap):
    proc = _shell(">/dev/full", _args(name, pcap))
    assert proc.returncode == 2, proc.stderr
    assert _error_lines(proc.stderr) == ["netlab: error: cannot write the output: No space left on device "
                                         "(the disk is full or the file too big; write elsewhere)"]


@pytest.mark.parametrize("name", COMMANDS)
def test_a_closed_stdout_is_one_line_and_exit_2(name, pcap):
    proc = _shell(">&-", _args(name, pcap))
    assert proc.returncode == 2, proc.stderr
    assert _error_lines(proc.stderr) == ["netlab: error: cannot write the output: Bad file descriptor "
                                         "(standard output is closed; give it a file or a pipe)"]


@pytest.mark.parametrize("name", COMMANDS)
def test_a_closed_stderr_still_answers_on_stdout(name, pcap):
    proc = _shell("2>&-", _args(name, pcap))
    assert proc.returncode == 0
    assert proc.stdout.strip()
    assert "Traceback" not in proc.stdout and "netlab: error" not in proc.stdout
    if name == "capture":  # the banner belongs on stderr: with stderr closed it is gone, not moved to stdout
        assert "reading from file" not in proc.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_a_closed_stderr_and_a_full_disk_still_exit_2(name, pcap):
    proc = _shell("2>&- >/dev/full", _args(name, pcap))
    assert (proc.returncode, proc.stdout) == (2, "")


@pytest.mark.parametrize("name", COMMANDS)
def test_a_reader_that_leaves_after_one_line_ends_quietly(name, pcap):
    proc = subprocess.Popen(netlab_argv(*_args(name, pcap)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert proc.stdout.readline()
        proc.stdout.close()
        stderr = proc.stderr.read()
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _error_lines(stderr) == []


def test_a_file_written_with_stdout_closed_is_not_mixed_with_output(tmp_path, pcap):
    """capture -w with stdout closed: the pcap file cannot take fd 1 and receive printed text."""
    out = tmp_path / "out.pcap"
    proc = _shell(">&-", ["capture", "-r", pcap, "-w", str(out)])
    assert proc.returncode == 0, proc.stderr
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    again, original = (subprocess.run(netlab_argv("capture", "-r", path), capture_output=True, text=True,
                                      timeout=60, env=env) for path in (str(out), pcap))
    assert again.returncode == 0 and again.stdout == original.stdout
