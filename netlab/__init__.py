"""netlab: network diagnostics and socket experiments, as a CLI and as a Python API.

    import netlab
    netlab.connections(states="listening")           # netlab conns   -> [Conn]
    netlab.ping.run("127.0.0.1", count=3)            # netlab ping    -> [Summary]
    netlab.ping.session("127.0.0.1", count=3)        #   a stream of events (use it in a with block)
    netlab.capture.read("trace.pcap", filter="tcp")  # netlab capture -r -> CapturedPacket, ...
    netlab.capture.listen("eth0", "icmp", count=5)   # netlab capture -i (root)
    netlab.backlog.probe(backlogs=[0, 5])            # netlab backlog -> Report
    netlab.reuseaddr.run("server-killed")            # netlab reuseaddr-demo -> [Outcome]
    netlab.schemas.load("conns")                     # netlab schema conns -> dict

Every record has ``as_dict()``: the object the command prints with --format
json. Bad input raises netlab.UsageError, a missing privilege
netlab.PrivilegeError (both netlab.NetlabError). docs/api.md has examples.

Every name here is looked up on first use (PEP 562): `netlab --help` imports
this module and must not pay for the engines.
"""

__version__ = "0.1.0"

# name -> (module, attribute in it; None: the module itself)
_LAZY = {
    "connections": ("netlab.conns.api", "connections"),
    "conns": ("netlab.conns", None),
    "ping": ("netlab.ping", None),
    "capture": ("netlab.capture", None),
    "backlog": ("netlab.lab.backlog", None),
    "reuseaddr": ("netlab.lab.reuseaddr", None),
    "schemas": ("netlab.schemas", None),
    "ExitStatus": ("netlab.errors", "ExitStatus"),
    "NetlabError": ("netlab.errors", "NetlabError"),
    "UsageError": ("netlab.errors", "UsageError"),
    "PrivilegeError": ("netlab.errors", "PrivilegeError"),
    "NegativeResult": ("netlab.errors", "NegativeResult"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # once found, a plain attribute: the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
