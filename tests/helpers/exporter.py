"""Run `netlab exporter` as a user does (a process, maybe inside a namespace) and ask it over HTTP."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
import urllib.error
import urllib.request
from typing import Iterator

from netlab.core import netns
from tests.helpers.cli import netlab_argv
from tests.helpers.env import ROOT


@contextlib.contextmanager
def exporter(*args: str, ns: netns.Namespace | None = None, listen: str = "127.0.0.1:0",
             timeout: float = 20) -> Iterator[tuple[subprocess.Popen, str]]:
    """A running exporter and its base URL (http://ADDR:PORT); SIGTERM (then SIGKILL) by pid on the way out."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NETLAB_DEBUG", None)
    proc = subprocess.Popen(netlab_argv("exporter", "--listen", listen, *args, ns=ns), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""
        if not line.startswith("netlab exporter: serving "):
            proc.kill()
            raise AssertionError(f"exporter did not start: {line!r} {proc.communicate(timeout=10)[1]!r}")
        yield proc, line.split()[-1].removesuffix("/metrics")
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 10) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    return proc.returncode


def get(url: str, accept: str | None = None, timeout: float = 15) -> tuple[int, dict, str]:
    """(status, headers, body) of a GET; HTTP errors are answers too."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


def samples(text: str) -> list:
    """Every sample of an exposition, parsed by prometheus_client's own parser."""
    from prometheus_client.parser import text_string_to_metric_families

    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def wait_for(check, timeout: float, step: float = 0.2):
    """check()'s first truthy answer within timeout seconds, else None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(step)
    return None
