"""The engine of `netlab conns`: select sockets and join their owners.

    from netlab.conns import Query, list_connections
    for conn in list_connections(Query(protocols=("tcp",), states=parse_states(["listening"]))).conns:
        print(conn.local_port, conn.pid, conn.process)

Sockets come from netlab.core.diag (sock_diag, filtered by state and port in
the kernel), owners from netlab.core.owners (a walk of /proc/*/fd), process
details (user, command line) from psutil where asked for.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterable, Sequence  # not typing: a share of start-up
from dataclasses import dataclass, field

from netlab.core import diag, owners
from netlab.conns.plain import hidden_note, process_user, user_name, user_names
from netlab.core.addr import Network, interface_name, is_decimal
from netlab.core.sockets import LISTENING, STATE_FILTERS, Socket
from netlab.errors import UsageError

STATE_NAMES = tuple(STATE_FILTERS)
# inet_diag timer kinds -> the names ss and the table show (JSON says the name, not the number)
TIMER_NAMES = {0: "off", 1: "on", 2: "keepalive", 3: "timewait", 4: "persist", 5: "delack"}


def parse_states(names: Iterable[str]) -> frozenset[str]:
    """ss state names and groups (case-insensitive) -> the display names they select."""
    selected: set[str] = set()
    for name in names:
        key = name.strip().lower()
        if key not in STATE_FILTERS:
            raise UsageError(f"unknown state {name!r}", "states: " + ", ".join(STATE_NAMES))
        selected |= STATE_FILTERS[key]
    return frozenset(selected)


def parse_user(text: str) -> int:
    """A user name or uid -> uid."""
    if is_decimal(text):
        # uid_t is 32 bits and (uid_t)-1 means "none"; a longer number is no uid (int() even
        # refuses past 4300 digits)
        if len(text) > 10 or int(text) > 0xFFFFFFFE:
            raise UsageError(f"invalid uid {text[:20]}{'...' if len(text) > 20 else ''}", "a uid is 0 to 4294967294")
        return int(text)
    try:
        return pwd.getpwnam(text).pw_uid
    except KeyError:
        raise UsageError(f"unknown user {text!r}", "give a user name or a numeric uid") from None


def check_pid(text: str | int) -> int:
    """A pid given by the user, which must name a running process."""
    if isinstance(text, str) and not is_decimal(text.strip()):
        raise UsageError(f"invalid pid {text!r}", "a pid is a positive number")
    pid = int(text)
    if pid <= 0 or not os.path.exists(f"/proc/{pid}"):
        raise UsageError(f"no process with pid {pid}", "see ps or pgrep for running processes")
    return pid


def check_process(pattern: str) -> str:
    """A process name pattern given by the user, which must match a running process."""
    import fnmatch  # here: a listing without --process does without it (and the re module under it)

    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if fnmatch.fnmatchcase(f.read().rstrip("\n"), pattern):
                        return pattern
            except OSError:
                continue
    raise UsageError(f"no process named {pattern!r}", "names are as ps -o comm shows them; wildcards allowed")


@dataclass
class Query:
    """Which sockets to list. Empty selections mean 'all'."""

    protocols: Sequence[str] = ("tcp", "udp")
    families: Sequence[str] = ("inet", "inet6")
    states: frozenset[str] | None = None
    sport: int | None = None
    dport: int | None = None
    port: int | None = None
    src: Sequence[Network] = ()
    dst: Sequence[Network] = ()
    pid: int | None = None
    process: str | None = None
    uid: int | None = None
    tcp_info: bool = False
    memory: bool = False  # skmem (ss -m)
    cgroup: bool = False  # cgroup ids (ss --cgroup)
    owners: bool = True  # look up owning processes (the /proc walk)
    details: bool = False  # command line and process user, via psutil
    # an ss filter tree (netlab.core.ssfilter): ANDed with the fields above
    filter: object = None

    def condition(self):
        """The whole address and port selection as one ss filter tree (None: everything)."""
        if self.filter is None and self.sport is None and self.dport is None and self.port is None \
                and not self.src and not self.dst:
            return None  # the plain listing: no filter code is even imported (start-up)
        from netlab.core.ssfilter import HostCond, Or, combine

        nodes = [self.filter]
        if self.sport is not None:
            nodes.append(HostCond("s", port=self.sport))
        if self.dport is not None:
            nodes.append(HostCond("d", port=self.dport))
        if self.port is not None:
            nodes.append(Or(HostCond("s", port=self.port), HostCond("d", port=self.port)))
        if self.src:
            nodes.append(combine([HostCond("s", (net,)) for net in self.src], Or))
        if self.dst:
            nodes.append(combine([HostCond("d", (net,)) for net in self.dst], Or))
        return combine(nodes)


@dataclass(slots=True)
class Conn(Socket):
    """One socket with its owner. ``as_dict()`` keys are the JSON contract.

    The dump makes Conn records directly (diag.dump(record=Conn)) and the owner
    is filled in place: one object per socket, 30k of them on a busy host.
    ``interface`` stays the ifindex (``interface_name()`` gives the name). For
    UNIX sockets local_port and remote_port are None and the peer's inode is
    ``peer_inode``.
    """

    pid: int | None = None
    process: str | None = None
    user: str | None = None
    fd: int | None = None
    other_owners: int = 0  # further processes sharing the socket (after fork)
    # every (pid, fd) holding the socket and the listing's pid -> name map, kept as the
    # owner walk made them: the owners' dicts are built only when JSON asks (as_dict)
    holders: list[tuple[int, int]] | None = None
    owner_names: dict[int, str] | None = None
    peer_inode: int | None = None
    cmdline: list[str] | None = None

    BASE_KEYS = ("proto", "family", "state", "local_addr", "local_port", "remote_addr", "remote_port",
                 "recv_q", "send_q", "uid", "inode", "pid", "process", "user", "owners")
    UNIX_KEYS = ("unix_type", "peer_inode")
    PACKET_KEYS = ("packet_type", "ethertype", "interface")
    EXTENDED_KEYS = ("fd", "cookie", "interface", "timer", "expires_ms", "cmdline")
    INFO_KEYS = ("tcp_info",)
    TIMER_KEYS = ("timer", "expires_ms", "retrans")  # -o
    MEMORY_KEYS = ("skmem",)  # -m
    CGROUP_KEYS = ("cgroup",)  # --cgroup

    def as_dict(self, extended: bool = False, info: bool = False, timers: bool = False, memory: bool = False,
                cgroup: bool = False) -> dict:
        # BASE_KEYS spelled out: a dict display is twice as fast as dict(zip(...)), 30k times
        d = {"proto": self.proto, "family": self.family, "state": self.state, "local_addr": self.local_addr,
             "local_port": self.local_port, "remote_addr": self.remote_addr, "remote_port": self.remote_port,
             "recv_q": self.recv_q, "send_q": self.send_q, "uid": self.uid, "inode": self.inode, "pid": self.pid,
             "process": self.process, "user": self.user, "owners": self.owners}
        if self.proto == "unix":
            d["unix_type"] = self.unix_type
            d["peer_inode"] = self.peer_inode
        elif self.proto == "packet":
            d["packet_type"] = self.unix_type
            d["ethertype"] = self.ethertype
            d["interface"] = interface_name(self.interface)
        if extended:
            d.update(fd=self.fd, cookie=self.cookie, interface=interface_name(self.interface),
                     timer=TIMER_NAMES.get(self.timer, "unknown"), expires_ms=float(self.expires_ms),
                     cmdline=self.cmdline)
        if info and self.proto == "tcp":
            d["tcp_info"] = tcp_info_ms(self.tcp_info)
        if timers:
            d.update(timer=TIMER_NAMES.get(self.timer, "unknown"), expires_ms=float(self.expires_ms),
                     retrans=self.retrans)
        if memory:
            d["skmem"] = self.skmem
        if cgroup:
            from netlab.core.cgroups import cgroup_path

            d["cgroup"] = cgroup_path(self.cgroup_id)
        return d

    @property
    def owners(self) -> list[dict]:
        """Every process holding the socket, lowest pid first (as lsof lists them; the table shows the first)."""
        if not self.holders:
            return []
        names = self.owner_names or {}
        return [{"pid": pid, "process": names.get(pid), "user": process_user(pid), "fd": fd}
                for pid, fd in sorted(self.holders)]


def tcp_info_ms(info: dict | None) -> dict | None:
    """The kernel's tcp_info with its durations in milliseconds as floats (rtt_us 1234 -> rtt_ms 1.234)."""
    if info is None:
        return None
    out = {}
    for key, value in info.items():
        if key.endswith("_us"):
            out[key[:-3] + "_ms"] = value / 1000
        elif key.endswith("_ms"):
            out[key] = float(value)
        else:
            out[key] = value
    return out


@dataclass
class Listing:
    conns: Sequence[Conn]  # a list, or PackedConns (a plain listing: Conn records only when asked for)
    hidden_processes: int = 0  # processes whose sockets we could not see (not root)
    notes: list[str] = field(default_factory=list)


class PackedConns(Sequence):
    """A plain listing's sockets as the kernel sent them, with the walk of their owners.

    The CLI's table of a plain listing is made in C from these
    (netlab.conns.plain.inet_table), without a Conn per socket; anything else
    (json, --sort, a count) reads them as a sequence, which makes the Conn
    records once, as list_connections makes them for other listings.
    """

    def __init__(self, packed: bytes, walk: object | None, hidden: int) -> None:
        self.packed, self.walk, self.hidden = packed, walk, hidden
        self._records: list[Conn] | None = None

    def records(self) -> list[Conn]:
        if self._records is None:
            conns = diag.packed_records(self.packed, Conn)
            owner_map = owners.owner_map(self.walk, self.hidden) if self.walk is not None else owners.OwnerMap()
            _join_owners(conns, owner_map)
            self._records = conns
        return self._records

    def __len__(self) -> int:
        return len(self.packed) // diag.PACKED_SOCK_SIZE

    def __getitem__(self, index):
        return self.records()[index]

    def __iter__(self):
        return iter(self.records())

    def __eq__(self, other) -> bool:
        return self.records() == (list(other) if isinstance(other, Sequence) else other)

    def __repr__(self) -> str:
        return repr(self.records())


def _packable(query: Query) -> bool:
    """Whether a listing needs nothing but the dump, its owners and its user names (the plain `netlab conns -tanp`)."""
    return (query.condition() is None and query.uid is None and query.pid is None and not query.process
            and not (query.details or query.tcp_info or query.memory or query.cgroup)
            and diag.packable(query.protocols))


def _packed_listing(query: Query) -> Listing | None:
    """The listing as PackedConns; None where sock_diag cannot answer (the records' path has a fallback)."""
    try:
        packed = diag.dump_packed(query.protocols, query.families, query.states)
    except diag.DiagUnavailable:
        return None
    walk, hidden = (owners.socket_walk() if packed and query.owners else (None, 0))
    return _listing(PackedConns(packed, walk, hidden), hidden)


def _listing(conns: Sequence[Conn], hidden: int) -> Listing:
    note = hidden_note(hidden)
    return Listing(conns, hidden, [note] if note else [])


def list_connections(query: Query) -> Listing:
    """The sockets the query selects, with their owners."""
    if _packable(query):
        listing = _packed_listing(query)
        if listing is not None:
            return listing
    protocols = query.protocols
    node = query.condition()
    bytecode = match = None
    if node is not None:
        from netlab.core.bytecode import compile_filter
        from netlab.core.ssfilter import Filter

        selection = Filter(node=node)
        if selection.inet_only():  # UNIX and packet sockets have no ports or addresses
            protocols = [p for p in protocols if p not in ("unix", "packet")]
        # The kernel runs what it can (inet_diag bytecode: only matches come back); Python runs the
        # whole condition on what came back, as ss does, so either alone would give the same set.
        bytecode = compile_filter(node)
        match = selection.matcher()
    conns = diag.dump(protocols, query.families, query.states, tcp_info=query.tcp_info, record=Conn,
                      bytecode=bytecode or None, memory=query.memory, cgroup=query.cgroup)
    if match is not None:
        conns = [c for c in conns if match(c)]
    if query.uid is not None:
        conns = [c for c in conns if c.uid == query.uid]

    owner_map = owners.OwnerMap()
    inodes = {c.inode for c in conns if c.inode}
    # Nothing selected that a process can hold (a filter the kernel answered with nothing, or
    # only TIME-WAIT): no walk, and no wait for the one that runs ahead (it is a daemon thread).
    if inodes and (query.owners or query.pid is not None or query.process):
        # The walk of /proc/*/fd costs a readlink per descriptor: with the C walker it
        # usually ran ahead (owners.prefetch); in Python it keeps only our sockets.
        pids = [query.pid] if query.pid is not None else None
        owner_map = owners.socket_owners(inodes, pids=pids)
    holders, names = owner_map.holders, owner_map.names
    if query.pid is not None:
        conns = [c for c in conns if c.inode in holders]
    if query.process:
        import fnmatch

        pattern = query.process
        conns = [c for c in conns
                 if any(fnmatch.fnmatchcase(names.get(pid, ""), pattern) for pid, _ in holders.get(c.inode, ()))]
    _join_owners(conns, owner_map)
    if "unix" in protocols:
        for c in conns:
            if c.proto == "unix":  # the dump puts the inode and the peer's in the port fields
                c.peer_inode = c.remote_port
                c.local_port = c.remote_port = None
    if query.details:
        _add_details(conns)
    return _listing(conns, owner_map.hidden_processes)


def _join_owners(conns: list[Conn], owner_map: owners.OwnerMap) -> None:
    """Each record's owner (the lowest pid, then fd), how many more hold it, and its user's name."""
    holders, names = owner_map.holders, owner_map.names
    users = user_names
    for c in conns:
        held = holders.get(c.inode)
        if held:
            c.pid, c.fd = held[0] if len(held) == 1 else min(held)
            c.process = names.get(c.pid)
            c.other_owners = len(held) - 1
            c.holders, c.owner_names = held, names
        uid = c.uid
        c.user = users[uid] if uid in users else user_name(uid)


def _add_details(conns: list[Conn]) -> None:
    """Command lines via psutil (one lookup per process, not per socket)."""
    import psutil

    cache: dict[int, list[str] | None] = {}
    for conn in conns:
        if conn.pid is None:
            continue
        if conn.pid not in cache:
            try:
                cache[conn.pid] = psutil.Process(conn.pid).cmdline()
            except (psutil.Error, OSError):
                cache[conn.pid] = None
        conn.cmdline = cache[conn.pid]
