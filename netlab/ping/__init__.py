"""netlab's ping engine: ICMP (datagram or raw sockets) and TCP connect ping.

Use it from Python::

    import netlab
    summaries = netlab.ping.run("127.0.0.1", count=3, interval=0.2)
    print(summaries[0].as_dict())

    with netlab.ping.session("127.0.0.1", count=3, interval=0.2) as pinger:
        for event in pinger.run():      # Reply, Timeout, ProbeError, Progress, IntervalReport, ...
            ...
        print(pinger.summaries()[0].as_dict())

``session()`` takes hosts (names, addresses or Targets from ``resolve``) and
the options as keywords or as one PingOptions; it returns a PingSession (ICMP)
or, with ``tcp_port`` set, a TcpPingSession; both are a ``Session``.
``pinger.exit_status()`` (or ``exit_status(summaries, options)``) is the verdict
`netlab ping` exits with: ExitStatus.OK or ExitStatus.NEGATIVE, by iputils' rule.
"""

from netlab.ping.engine import PingSession
from netlab.ping.options import PingOptions
from netlab.ping.records import NoAnswerYet, ProbeError, Reply, Progress, IntervalReport, StatusRequest, Summary, Target, Timeout
from netlab.ping.resolve import resolve
from netlab.ping.base import Session, exit_status
from netlab.ping.api import run, session


__all__ = ["PingOptions", "Session", "run", "session", "exit_status", "PingSession", "TcpPingSession", "resolve", "Target", "Reply",
           "ProbeError", "Timeout", "NoAnswerYet", "Progress", "IntervalReport", "StatusRequest", "Summary"]


def __getattr__(name: str):
    """TcpPingSession on first use (PEP 562): its module and resource cost an ICMP ping ~0.5 ms of start-up."""
    if name == "TcpPingSession":
        from netlab.ping.tcp import TcpPingSession

        return TcpPingSession
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
