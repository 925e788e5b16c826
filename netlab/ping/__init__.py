"""netlab's ping engine: ICMP (datagram or raw sockets) and TCP connect ping.

Use it from Python::

    from netlab.ping import PingOptions, PingSession, resolve
    session = PingSession([resolve("127.0.0.1")], PingOptions(count=3, interval=0.2).validate())
    for event in session.run():
        ...
    print(session.summaries()[0].as_dict())
    session.close()
"""

from netlab.ping.engine import PingSession
from netlab.ping.options import PingOptions
from netlab.ping.records import NoAnswerYet, ProbeError, Reply, Progress, StatusRequest, Summary, Target, Timeout
from netlab.ping.resolve import resolve

__all__ = ["PingOptions", "PingSession", "resolve", "Target", "Reply", "ProbeError", "Timeout", "NoAnswerYet",
           "Progress", "StatusRequest", "Summary"]
