"""Private network namespaces and veth pairs: made, used, always deleted.

Tests, benchmarks and experiments put their traffic here, never on the host's
networks. Every namespace this module makes is named ``netlab-<pid>-<n>`` and
deleted in a ``finally`` (also on exceptions and Ctrl-C); namespaces left by a
process that died without cleaning up are removed the next time one is made.

Who owns a namespace is not read from its name: in a container (a pid namespace
of its own, the host's /run/netns) the pid in another experiment's name can be
missing from /proc, or belong to someone else, while its creator is alive. The
creator holds an flock on the namespace file itself (/run/netns/NAME) for as long
as the namespace lives; the kernel drops it when the creator dies, SIGKILL
included. A namespace is abandoned when nobody holds its lock and the pid in its
name is not a live process here. (The pid only vetoes: netlab before the lock
did not take it, and a namespace of such a run is kept while that pid lives. The
price is a namespace left by a dead creator of another pid namespace whose pid
is some live process here: kept until that process ends. Once every netlab
locks, the veto can go.) A namespace just added is unlocked for a moment: if
another process's clean-up locks it first, the creator finds it taken (or gone)
and makes another under the next name.

Two ways to work inside a namespace:
  * ``ns.exec([...])`` / ``ns.popen([...])`` run a program there (ip netns exec);
  * ``with ns.inside(): socket.socket(...)`` switches this thread into it, so a
    socket created in the block lives in the namespace (a socket keeps the
    namespace it was created in, whatever the thread does afterwards).

Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); ``available()`` tells.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import itertools
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from netlab.core import privilege
from netlab.errors import EnvironmentProblem, PrivilegeError

CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = "/run/netns"
PREFIX = "netlab"

_counter = itertools.count(1)
_libc = None


def _go_home(home: int) -> None:
    """setns() back to ``home``, again if a Ctrl-C cut in; that Ctrl-C is raised once home."""
    interrupted: BaseException | None = None
    while True:
        try:
            with _signals_held():
                _setns(home)
            break
        except KeyboardInterrupt as err:
            interrupted = err
    if interrupted is not None:
        raise interrupted


class _Inside:
    """The context manager of ``Namespace.inside()``.

    A Ctrl-C can land between any two bytecodes. A thread left inside would keep
    the namespace alive, and the delete that ends every process still in it would
    end this one. A generator context manager leaves a gap: a Ctrl-C after its
    yield but before the with-block starts leaves the generator suspended inside,
    its finally run only at garbage collection. So the switch runs with
    SIGINT/SIGTERM held, and a signal that came meanwhile is raised by the
    unblocking call itself, where __enter__ still catches it and goes home.
    One gap no Python code can close remains: a Ctrl-C checked on entry to
    __exit__, before its first line. For that the home is also kept per thread,
    and deleting the namespace first takes a thread still inside it home
    (``_leave``).
    """

    def __init__(self, namespace: "Namespace"):
        self._namespace = namespace

    def __enter__(self) -> "Namespace":
        # The home fd is on the thread's stack before the switch and leaves it only
        # once the thread is back, so a Ctrl-C at any point leaves _leave() a way home.
        stack = _homes()
        home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        try:
            stack.append(home)
            target = os.open(self._namespace.path, os.O_RDONLY)
            try:
                with _signals_held():
                    _setns(target)
            finally:
                os.close(target)
        except BaseException:
            _go_home(home)
            _forget(stack, home)
            raise
        return self._namespace

    def __exit__(self, *exc_info) -> None:
        stack = _homes()
        if stack:  # empty when _leave() already took this thread home
            home = stack[-1]
            _go_home(home)
            _forget(stack, home)


def _forget(stack: list[int], home: int) -> None:
    if home in stack:
        stack.remove(home)
        os.close(home)


_thread_state = threading.local()


def _homes() -> list[int]:
    """This thread's stack of namespaces to go back to (fds), one per open inside()."""
    if not hasattr(_thread_state, "homes"):
        _thread_state.homes = []
    return _thread_state.homes


def _leave(namespace_path: str) -> None:
    """Take this thread home if an interrupted inside() left it in the namespace."""
    stack = _homes()
    if not stack:
        return
    try:
        here = os.stat("/proc/thread-self/ns/net").st_ino
        there = os.stat(namespace_path).st_ino
    except OSError:
        return
    if here == there:
        _go_home(stack[0])
        while stack:
            os.close(stack.pop())


def _setns(fd: int) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def available() -> bool:
    """True when this process may make namespaces (root with the capabilities) and `ip` exists."""
    return privilege.can_admin_net() and _ip_exists()


def _ip_exists() -> bool:
    return any(os.access(os.path.join(d, "ip"), os.X_OK) for d in ("/usr/sbin", "/sbin", "/usr/bin", "/bin"))


def _run(argv: Sequence[str], input: str | None = None, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    # In a session of its own, a Ctrl-C at the terminal does not kill `ip` half way
    # through making or deleting a namespace; we decide when to stop.
    proc = subprocess.run(list(argv), input=input, capture_output=True, text=True, timeout=timeout,
                          start_new_session=True)
    if check and proc.returncode != 0:
        raise EnvironmentProblem(f"{' '.join(argv)} failed: {proc.stderr.strip() or proc.returncode}")
    return proc


@dataclass
class Namespace:
    """One private network namespace, with loopback up."""

    name: str
    _procs: list[subprocess.Popen] = field(default_factory=list, repr=False)
    _lock: int | None = field(default=None, repr=False)  # an fd of the namespace file, flocked: "mine"

    @property
    def path(self) -> str:
        return os.path.join(NETNS_RUN_DIR, self.name)

    def exec(self, argv: Sequence[str], check: bool = True, input: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
        """Run a program inside the namespace and wait for it (text output captured)."""
        return _run(["ip", "netns", "exec", self.name, *argv], input=input, check=check, timeout=timeout)

    def popen(self, argv: Sequence[str], **kwargs) -> subprocess.Popen:
        """Start a program inside the namespace; it is ended when the namespace is deleted."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.name, *argv], **kwargs)
        self._procs.append(proc)
        return proc

    def ip(self, *args: str) -> subprocess.CompletedProcess:
        return _run(["ip", "-n", self.name, *args])

    def nft(self, ruleset: str) -> None:
        """Load an nftables ruleset inside the namespace (it dies with the namespace)."""
        self.exec(["nft", "-f", "-"], input=ruleset)

    def inside(self) -> "_Inside":
        """Switch the calling thread into the namespace for a ``with`` block, then back."""
        return _Inside(self)

    def sysctl(self, key: str, value: str | int | None = None) -> str:
        """Read (and with a value, first write) a sysctl inside the namespace.

        The net.* sysctls are per namespace: writing here never touches the host.
        """
        path = "/proc/sys/" + key.replace(".", "/")
        with self.inside():
            if value is not None:
                with open(path, "w") as f:
                    f.write(str(value))
            with open(path) as f:
                return f.read().strip()

    def _stop_processes(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 2
        for proc in self._procs:
            try:
                proc.wait(timeout=max(0.05, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=2)
        self._procs.clear()
        # Anything else still running in the namespace was started inside it,
        # that is by us (it is private): end it by PID so the namespace can go.
        pids = _run(["ip", "netns", "pids", self.name], check=False).stdout.split()
        for pid in pids:
            if pid == str(os.getpid()):
                continue  # never this process, were a thread of it still inside
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)

    def delete(self) -> None:
        with _signals_held():
            _leave(self.path)
            self._stop_processes()
            _run(["ip", "netns", "del", self.name], check=False)
            if self._lock is not None:  # last: the open fd alone would keep the namespace alive
                os.close(self._lock)
                self._lock = None


def _require() -> None:
    if not privilege.can_admin_net():
        raise PrivilegeError("network namespaces need root", "run as root, or with CAP_SYS_ADMIN and CAP_NET_ADMIN")
    if not _ip_exists():
        raise EnvironmentProblem("the 'ip' command (iproute2) is not installed", "apt-get install iproute2")


def remove_stale() -> list[str]:
    """Delete the netlab namespaces that no live process holds (their creator died, even by SIGKILL)."""
    if not os.path.isdir(NETNS_RUN_DIR):
        return []
    return _delete_all(_claim_abandoned())


def _is_ours(name: str) -> bool:
    parts = name.split("-")
    return len(parts) == 3 and parts[0] == PREFIX and parts[1].isdigit() and parts[2].isdigit()


def _lock_namespace(path: str) -> int | None:
    """An fd of the namespace file with its flock, or None when a live process holds it.

    Also None for a namespace half made: `ip netns add` creates the file, then
    mounts the namespace on it; a lock on the bare file would lock nothing.
    """
    fd = os.open(path, os.O_RDONLY)  # not inherited by the programs we start (O_CLOEXEC)
    try:
        if os.fstat(fd).st_dev != _nsfs_device():
            os.close(fd)
            return None
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _nsfs_device() -> int:
    """The device of namespace files (nsfs): one for every namespace of every kind."""
    return os.stat("/proc/self/ns/net").st_dev


def _claim_abandoned() -> list[Namespace]:
    """Our namespaces whose lock nobody holds, now locked by us: nobody else deletes or uses them."""
    claimed = []
    for name in sorted(os.listdir(NETNS_RUN_DIR)):
        if not _is_ours(name) or os.path.exists(f"/proc/{name.split('-')[1]}"):
            continue  # not netlab's, or its pid lives: perhaps a netlab that does not lock (see above)
        try:
            fd = _lock_namespace(os.path.join(NETNS_RUN_DIR, name))
        except OSError:  # deleted meanwhile, or not a namespace file
            continue
        if fd is not None:
            claimed.append(Namespace(name, _lock=fd))
    return claimed


def _delete_all(namespaces: list[Namespace]) -> list[str]:
    removed = []
    try:
        for ns in namespaces:
            ns.delete()
            removed.append(ns.name)
    finally:
        for ns in namespaces:  # were one delete to fail, the others' fds still close
            if ns._lock is not None:
                os.close(ns._lock)
                ns._lock = None
    return removed


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the block; one that came meanwhile is raised after it.

    Making or deleting a namespace must not be cut in half by Ctrl-C: a half-made
    namespace would not yet be known to the code that deletes it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def create() -> Namespace:
    """Make a namespace with loopback up. Prefer the ``namespace()`` context manager."""
    with _signals_held():
        return _create()


def _create() -> Namespace:
    _require()
    remove_stale()
    ns = _add_locked()
    try:
        ns.ip("link", "set", "lo", "up")
        # No duplicate address detection: addresses (link-local ones too) are
        # usable at once instead of after a second of "tentative".
        with ns.inside():
            for scope in ("all", "default"):
                with open(f"/proc/sys/net/ipv6/conf/{scope}/accept_dad", "w") as f:
                    f.write("0")
    except BaseException:
        ns.delete()
        raise
    return ns


def _add_locked(attempts: int = 10) -> Namespace:
    """`ip netns add` under a free name, the new namespace locked as ours.

    Between the add and the lock another process's remove_stale() may take the
    namespace for abandoned; then it is locked or gone when we come to lock it, and
    the next name is tried. The name's pid is ours as we see it: in a container
    another process can have the same one, so a name taken is skipped too.
    """
    for _ in range(attempts):
        name = f"{PREFIX}-{os.getpid()}-{next(_counter)}"
        path = os.path.join(NETNS_RUN_DIR, name)
        if os.path.lexists(path):
            continue
        added = _run(["ip", "netns", "add", name], check=False)
        if added.returncode != 0:
            if os.path.lexists(path):  # someone else's, made meanwhile
                continue
            raise EnvironmentProblem(f"ip netns add {name} failed: {added.stderr.strip() or added.returncode}")
        try:
            lock = _lock_namespace(path)
        except FileNotFoundError:  # another clean-up deleted it already
            continue
        if lock is None:  # another clean-up holds it and deletes it
            continue
        return Namespace(name, _lock=lock)
    raise EnvironmentProblem(f"could not make a network namespace in {attempts} attempts",
                             f"see ip netns list; names {PREFIX}-* are netlab's")


@contextlib.contextmanager
def namespace() -> Iterator[Namespace]:
    """A private namespace for the block, deleted afterwards whatever happens."""
    ns = None
    try:
        with _signals_held():  # a Ctrl-C is raised after ns is bound, inside the try
            ns = _create()
        yield ns
    finally:
        if ns is not None:
            ns.delete()


@dataclass
class Link:
    """The two ends of a veth pair: namespaces, interface names and addresses."""

    a: Namespace
    b: Namespace
    a_if: str
    b_if: str
    a4: str
    b4: str
    a6: str
    b6: str


def add_veth(a: Namespace, b: Namespace, a_if: str, b_if: str, a4: str, b4: str, a6: str, b6: str, prefix4: int = 24, prefix6: int = 64) -> Link:
    """Join two namespaces by a veth pair and address both ends (IPv6 without DAD wait)."""
    _run(["ip", "link", "add", a_if, "netns", a.name, "type", "veth", "peer", "name", b_if, "netns", b.name])
    for ns, ifname, v4, v6 in ((a, a_if, a4, a6), (b, b_if, b4, b6)):
        ns.ip("addr", "add", f"{v4}/{prefix4}", "dev", ifname)
        ns.ip("-6", "addr", "add", f"{v6}/{prefix6}", "dev", ifname, "nodad")
        ns.ip("link", "set", ifname, "up")
    for ns, ifname in ((a, a_if), (b, b_if)):
        _wait_link_local(ns, ifname)
    return Link(a, b, a_if, b_if, a4, b4, a6, b6)


def _wait_link_local(ns: Namespace, ifname: str, timeout: float = 3.0) -> None:
    """Wait (bounded) until the interface has its IPv6 link-local address.

    Neighbour discovery speaks from that address; a probe sent before it exists
    is silently lost, which would make the first IPv6 packet of a test vanish.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = ns.ip("-6", "addr", "show", "dev", ifname, "scope", "link").stdout
        if "fe80" in out and "tentative" not in out:
            return
        time.sleep(0.01)
