"""`netlab conns` for scripts: keyword options as the command line has them, the records back.

    import netlab
    for conn in netlab.connections(states="listening", port=22):
        print(conn.local_port, conn.pid, conn.process, conn.as_dict())

The values are checked as the CLI checks them (UsageError, with the same
words); the records are the ones the CLI prints, in the kernel's order unless
``sort`` is given.
"""

from __future__ import annotations

from typing import Iterable

from netlab.conns.engine import LISTENING, Conn, Query, check_pid, list_connections, parse_states, parse_user
from netlab.core.addr import parse_network, parse_port
from netlab.errors import UsageError

PROTOCOLS = ("tcp", "udp", "raw", "unix")
FAMILIES = {"inet": "inet", "inet6": "inet6", 4: "inet", 6: "inet6", "ipv4": "inet", "ipv6": "inet6"}


def _names(value: str | Iterable | None) -> list:
    """One value or several: "tcp" and ["tcp", "udp"] both work."""
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [value]
    return list(value)


def _protocols(protocols) -> list[str]:
    names = [p.lower() for p in _names(protocols)] or ["tcp", "udp"]
    for name in names:
        if name not in PROTOCOLS:
            raise UsageError(f"unknown protocol {name!r}", "protocols: " + ", ".join(PROTOCOLS))
    return names


def _families(families) -> list[str]:
    out = []
    for name in _names(families) or ["inet", "inet6"]:
        if name not in FAMILIES:
            raise UsageError(f"unknown family {name!r}", "families: inet (or 4), inet6 (or 6)")
        out.append(FAMILIES[name])
    return out


def connections(protocols: str | Iterable[str] = ("tcp", "udp"), *, families: str | int | Iterable = ("inet", "inet6"),
                states: str | Iterable[str] | None = None, listening: bool = False,
                port: int | str | None = None, sport: int | str | None = None, dport: int | str | None = None,
                src: str | Iterable[str] = (), dst: str | Iterable[str] = (), pid: int | None = None,
                process: str | None = None, user: str | int | None = None, tcp_info: bool = False,
                details: bool = False, owners: bool = True, sort: str | None = None,
                filter: str | Iterable[str] | None = None) -> list[Conn]:
    """The sockets `netlab conns` would list for the same options, as Conn records.

    protocols  "tcp", "udp", "raw", "unix" or several (-t -u -w -x)
    families   "inet"/4, "inet6"/6 or both (-4 -6)
    states     ss state names or groups: "listening", ["established", "time-wait"], "connected" (--state)
    listening  add the listening states (-l)
    port, sport, dport   a port either side, local, remote (--port --sport --dport)
    src, dst   addresses or networks, "127.0.0.0/8" (--src --dst)
    pid, process, user   sockets held by this pid, process name (wildcards), user name or uid
               (a process name that nothing runs under gives [], where the CLI says so as an error)
    tcp_info   fill tcp_info (rtt, cwnd, ...) for TCP (-i); details: cmdline, fd (-e)
    owners     look up the owning processes (False: faster, pid and process stay None)
    sort       keys as --sort takes them: "local_port", "-recv_q,pid"
    filter     ss's filter, as the command line takes it after the options:
               "state established ( dport = :443 or sport = :443 )" (ANDed with the rest)
    """
    selected = parse_states(_names(states)) if states is not None else None
    if listening:
        selected = (selected or frozenset()) | LISTENING
    if user is not None:
        user = parse_user(str(user))
    node = None
    if filter is not None:
        from netlab.core.ssfilter import parse

        selection = parse(_names(filter))
        node = selection.node
        if selection.states is not None:
            selected = (selected or frozenset()) | selection.states
    query = Query(
        protocols=_protocols(protocols), families=_families(families), states=selected,
        port=parse_port(port, "port") if port is not None else None,
        sport=parse_port(sport, "sport") if sport is not None else None,
        dport=parse_port(dport, "dport") if dport is not None else None,
        src=[parse_network(s) for s in _names(src)], dst=[parse_network(d) for d in _names(dst)],
        pid=check_pid(pid) if pid is not None else None, process=process, uid=user,
        tcp_info=tcp_info, owners=owners, details=details, filter=node,
    )
    conns = list(list_connections(query).conns)  # a list, also of a plain listing's PackedConns
    if sort:
        from netlab.conns.sort import sort_connections

        conns = sort_connections(conns, sort)
    return conns
