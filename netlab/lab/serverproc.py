"""A tiny TCP server in its own process, so an experiment can kill it by PID.

The file is both halves:

* ``ServerProcess`` (the parent side) starts ``python -I -S serverproc.py ...``,
  waits for its "listening PORT" line, counts its "accepted N" lines, and ends it
  with a real signal (SIGINT as a Ctrl-C, SIGKILL as a crash). The child is
  forked from the calling thread, so it lives in that thread's network
  namespace (see netlab.core.netns.Namespace.inside()).
* ``serve()`` (the child side, stdlib only) listens with the asked socket
  options, accepts connections and holds them without reading (``--read``:
  drain them and close on EOF, like an ordinary server). When the process dies
  the kernel closes its sockets: that is what the experiments look at.

A separate program, not a fork of this interpreter: it holds no copy of the
parent's sockets, so closing a client in the parent really closes it.
"""

from __future__ import annotations

import argparse
import errno
import os
import select
import signal
import socket
import subprocess
import sys
import time

try:
    from netlab.errors import EnvironmentProblem
except ImportError:  # the child runs this file alone (python -I -S) and raises none of the classes below
    EnvironmentProblem = Exception  # type: ignore[misc,assignment]

BUSY_HINT = "the machine may be too busy; try again"


class ServerProblem(EnvironmentProblem):
    """The experiment's server process did not do its part (exit 2, one line, as NetlabError)."""


class ServerFailed(ServerProblem):
    """The child could not bind or listen; ``errno`` is the kernel's answer."""

    def __init__(self, code: int, port: int):
        super().__init__(f"the server process could not listen on port {port}: {os.strerror(code)}",
                         "another program may hold the port; choose one with --port")
        self.errno = code


class ServerProcess:
    """Parent-side handle of one child server process."""

    def __init__(self, family: str, addr: str, port: int, *, reuseaddr: bool = False, reuseport: bool = False,
                 accept: bool = True, read: bool = False, backlog: int = 128):
        argv = [sys.executable, "-I", "-S", os.path.abspath(__file__), "--family", family, "--addr", addr,
                "--port", str(port), "--backlog", str(backlog)]
        argv += ["--reuseaddr"] * reuseaddr + ["--reuseport"] * reuseport + ["--no-accept"] * (not accept)
        argv += ["--read"] * read
        self.argv = argv
        self.proc: subprocess.Popen | None = None
        self.port = port
        self.accepted = 0
        self._buffer = b""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 5.0) -> int:
        """Start the child and wait until it listens; return the port it bound."""
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, bufsize=0)
        try:
            word, value = self._line(timeout)
        except ServerProblem:
            self.stop()
            raise
        if word == "error":
            self.stop()
            raise ServerFailed(getattr(errno, value, errno.EIO), self.port)
        if word != "listening":
            self.stop()
            raise ServerProblem(f"the server process said {word!r} instead of 'listening'", BUSY_HINT)
        self.port = int(value)
        return self.port

    def wait_accepted(self, count: int, timeout: float = 2.0) -> None:
        """Wait (bounded) until the child has accepted ``count`` connections."""
        deadline = time.monotonic() + timeout
        while self.accepted < count:
            word, value = self._line(max(0.0, deadline - time.monotonic()))
            if word == "accepted":
                self.accepted = int(value)

    def signal(self, signum: int, timeout: float = 2.0) -> int:
        """Send a signal by PID and reap the child; return its exit status."""
        assert self.proc is not None
        self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise ServerProblem(f"the server process {self.proc.pid} outlived signal {signum} for {timeout:.0f} s "
                                "and was killed", BUSY_HINT) from None

    def stop(self) -> None:
        """End the child if it still runs (SIGKILL, by its PID) and reap it."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=2)
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _line(self, timeout: float) -> tuple[str, str]:
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise ServerProblem(f"the server process {self.proc.pid} did not answer within {timeout:.1f} s",
                                    BUSY_HINT)
            chunk = os.read(fd, 4096)
            if not chunk:
                raise ServerProblem(f"the server process {self.proc.pid} exited (status {self.proc.wait()})",
                                    "it was killed or crashed; try again")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        word, _, value = line.decode().partition(" ")
        return word, value


# ---------------------------------------------------------------- the child


def serve(argv: list[str] | None = None) -> int:
    """The child's main: its exit status is 1 when it cannot listen, 130 after Ctrl-C.

    Bare numbers, not netlab.errors.ExitStatus: the child runs this file alone
    (python -I -S) and imports nothing of netlab; they are a helper's statuses,
    which the parent reads ("exited with status 130"), not netlab's own.
    """
    parser = argparse.ArgumentParser(description="tiny TCP server for netlab experiments")
    parser.add_argument("--family", choices=("inet", "inet6"), default="inet")
    parser.add_argument("--addr", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backlog", type=int, default=128)
    parser.add_argument("--reuseaddr", action="store_true")
    parser.add_argument("--reuseport", action="store_true")
    parser.add_argument("--no-accept", dest="accept", action="store_false",
                        help="leave connections in the accept queue")
    parser.add_argument("--read", action="store_true", help="read and discard data, close on EOF")
    args = parser.parse_args(argv)
    # A program started in the background inherits SIGINT ignored (the shell does
    # that), and Python then leaves it ignored: make Ctrl-C a KeyboardInterrupt again.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    listener = socket.socket(socket.AF_INET if args.family == "inet" else socket.AF_INET6, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, int(args.reuseaddr))
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, int(args.reuseport))
        listener.bind((args.addr, args.port))
        listener.listen(args.backlog)
    except OSError as err:
        _say(f"error {errno.errorcode.get(err.errno, 'EIO')}")
        return 1
    _say(f"listening {listener.getsockname()[1]}")
    held: list[socket.socket] = []
    try:
        if not args.accept:
            while True:
                signal.pause()
        while True:
            # Unread connections are not watched: their data stays queued.
            ready, _, _ = select.select([listener, *held] if args.read else [listener], [], [])
            for sock in ready:
                if sock is listener:
                    conn, _ = listener.accept()
                    held.append(conn)
                    _say(f"accepted {len(held)}")
                elif not sock.recv(65536):
                    sock.close()  # the peer closed first: close our side too
                    held.remove(sock)
    except KeyboardInterrupt:
        # Ctrl-C: exit without closing anything by hand; the kernel closes the
        # sockets as for any process that dies.
        os._exit(130)
    return 0


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())


if __name__ == "__main__":
    sys.exit(serve())
