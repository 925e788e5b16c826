"""The SO_REUSEADDR restart experiment, measured: stop a server, restart it, look.

The classic lab (start a server and a client, Ctrl-C the server, restart it: it
will not start unless the address is reused) in the variants that matter. Each
scenario runs real sockets and a real server process, then reports what the
kernel said: the states of the old sockets on the port just before the restart
(read with sock_diag, netlab.core.diag), the errno of bind() and listen() of the
new socket, and one sentence composed from those measurements.

Where: with root each row runs in its own private network namespace (made and
deleted here), so the port is exactly the one asked (default 8001) and nothing
is left behind. Without root each row takes a free loopback port of its own
and checks that no other socket uses it; a TIME-WAIT made there by the
experiment stays on that port for its 60 s.

Python API (``netlab.reuseaddr`` is this package)::

    import netlab
    for row in netlab.reuseaddr.run("server-killed"):
        print(row.new_reuseaddr, row.bind, row.explanation, row.as_dict())

``reuseaddr.stream`` takes the same arguments and yields each row as it is measured.

The package, one job a module: scenarios (what is run, with which options),
site (where a row runs), ports (finding a free one), checks (the user's input),
observe (the sockets on the port), actions (what a server and its client do),
runners (one function per scenario), sentences (the explanation of a row),
engine (rows from all of these), timewait (the TIME-WAIT lifetime probe).
"""

from netlab.lab.reuseaddr.checks import check_port, parse_scenarios, resolve_address
from netlab.lab.reuseaddr.engine import Outcome, run, run_row, stream
from netlab.lab.reuseaddr.scenarios import SCENARIOS, Variant
from netlab.lab.reuseaddr.site import DEFAULT_NAMESPACE_PORT, Site

__all__ = ["DEFAULT_NAMESPACE_PORT", "SCENARIOS", "Outcome", "Site", "Variant", "check_port", "parse_scenarios",
           "resolve_address", "run", "run_row", "stream"]
