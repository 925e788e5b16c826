"""`netlab conns` as a library: list sockets with their owners, sort them, count them.

    import netlab
    for conn in netlab.connections("tcp", states="listening"):
        print(conn.local_port, conn.pid, conn.process)

``netlab.connections`` is ``netlab.conns.connections`` (api.py): the CLI's
options as keywords. Underneath, with a Query built by hand::

    from netlab.conns import Query, list_connections, parse_states
    listing = list_connections(Query(protocols=("tcp",), states=parse_states(["listening"])))
    for conn in listing.conns: ...

api: the keyword entry point; engine: the query and the listing (sockets from
netlab.core.diag, owners from netlab.core.owners); sort: --sort keys; summary:
counts as ss -s; text: what the CLI prints (imported by it, not here: the
library needs no table code).
"""

# Everything loads on first use (PEP 562): netlab.conns.plain, which prints the plain listing,
# needs none of the records' code, and a plain `netlab conns` needs no sort, summary or api.
_ENGINE = ("LISTENING", "STATE_NAMES", "Conn", "Listing", "Query", "check_pid", "check_process", "interface_name",
           "list_connections", "parse_states", "parse_user", "user_name")
_LAZY = {**dict.fromkeys(_ENGINE, "engine"), "SORT_KEYS": "sort", "sort_connections": "sort",
         "ProtoSummary": "summary", "summarize": "summary", "connections": "api"}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"netlab.conns.{_LAZY[name]}"), name)


__all__ = [
    "LISTENING", "STATE_NAMES", "SORT_KEYS", "Conn", "Listing", "ProtoSummary", "Query", "check_pid",
    "check_process", "connections", "interface_name", "list_connections", "parse_states", "parse_user", "sort_connections",
    "summarize", "user_name",
]
