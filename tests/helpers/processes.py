"""Processes a test starts in its namespaces, each killed by its PID when the test ends.

Whatever ends the test (a failed assert, a communicate() timeout), nothing is left
running. The ``procs`` fixture (tests/conftest.py) hands a test one ``Started``.
"""

from __future__ import annotations

import subprocess

from tests.helpers.cli import NETLAB_ENV, netlab_argv


class Started:
    """The processes one test started: ``popen`` any program, ``netlab`` a capture; ``stop_all`` at the end."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def popen(self, ns, argv: list[str], **kwargs) -> subprocess.Popen:
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        proc = ns.popen(argv, **kwargs)
        self.procs.append(proc)
        return proc

    def netlab(self, ns, *args: str) -> subprocess.Popen:
        return self.popen(ns, netlab_argv("capture", *args), env=NETLAB_ENV)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=5)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
