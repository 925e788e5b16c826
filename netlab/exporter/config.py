"""The exporter's TOML config: probe modules and the targets they may probe.

    [probe]
    allow = ["10.77.0.0/24", "::1"]   # networks a target must resolve into

    [modules.icmp]
    prober = "icmp"     # or "tcp" (then port = N is required)
    count = 3           # probes per scrape, 1-20
    interval = 0.2      # seconds between probes, 0.01-5
    timeout = 1.0       # seconds to wait for the last reply, 0.1-10

Without an allow-list /probe refuses every target: an exporter that probes
any host it is asked for lets anyone who can reach it scan networks from
this host (server-side request forgery). A bad file is refused with its
line and field named.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field

from netlab.errors import UsageError

PROBERS = ("icmp", "tcp")
# field: (type, low, high). Bounds keep one probe request's work small.
_MODULE_FIELDS = {
    "prober": (str, None, None),
    "count": (int, 1, 20),
    "interval": (float, 0.01, 5.0),
    "timeout": (float, 0.1, 10.0),
    "port": (int, 1, 65535),
}


@dataclass(frozen=True)
class Module:
    name: str
    prober: str = "icmp"
    count: int = 3
    interval: float = 0.2
    timeout: float = 1.0
    port: int | None = None

    @property
    def longest_s(self) -> float:
        """The most one probe of this module can take."""
        return self.count * self.interval + self.timeout


@dataclass(frozen=True)
class Config:
    allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    modules: dict[str, Module] = field(default_factory=dict)

    def allowed(self, address: str) -> bool:
        addr = ipaddress.ip_address(address)
        return any(addr.version == net.version and addr in net for net in self.allow)


def _where(path: str, text: str, section: str, key: str | None) -> str:
    """'FILE line N' for the key in that section (or the section header), as best we can find it."""
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, section.split("."))) + r"\s*\]")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return path
    if key is not None:
        for i in range(start + 1, len(lines)):
            if lines[i].lstrip().startswith("["):
                break
            if re.match(r"^\s*" + re.escape(key) + r"\s*=", lines[i]):
                return f"{path} line {i + 1}"
    return f"{path} line {start + 1}"


def load(path: str) -> Config:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise UsageError(f"cannot read config {path}: {err.strerror}", "give a readable TOML file to --config") from None
    try:
        text = raw.decode()
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text", "the config is a TOML file") from None
    except tomllib.TOMLDecodeError as err:
        # tomllib says "... (at line N, column M)": that names the place
        raise UsageError(f"{path}: {err}", "the config is TOML, see man netlab-exporter") from None
    return parse(data, text, path)


def parse(data: dict, text: str = "", path: str = "config") -> Config:
    def bad(section: str, key: str | None, what: str, hint: str) -> UsageError:
        return UsageError(f"{_where(path, text, section, key)}: {what}", hint)

    unknown = sorted(set(data) - {"probe", "modules"})
    if unknown:
        raise bad(unknown[0], None, f"unknown section [{unknown[0]}]", "the sections are [probe] and [modules.NAME]")
    probe = data.get("probe", {})
    if not isinstance(probe, dict):
        raise bad("probe", None, "probe must be a table", "write [probe]")
    extra = sorted(set(probe) - {"allow"})
    if extra:
        raise bad("probe", extra[0], f"unknown field probe.{extra[0]}", "[probe] takes allow = [...]")
    allow_raw = probe.get("allow", [])
    if not isinstance(allow_raw, list) or not all(isinstance(a, str) for a in allow_raw):
        raise bad("probe", "allow", "probe.allow must be a list of strings", 'e.g. allow = ["10.0.0.0/8", "::1"]')
    allow = []
    for item in allow_raw:
        try:
            allow.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise bad("probe", "allow", f"probe.allow: {item!r} is not an address or network",
                      'e.g. "192.0.2.0/24" or "2001:db8::1"') from None
    modules_raw = data.get("modules", {})
    if not isinstance(modules_raw, dict):
        raise bad("modules", None, "modules must be a table of tables", "write [modules.NAME]")
    modules = {}
    for name, body in modules_raw.items():
        section = f"modules.{name}"
        if not isinstance(body, dict):
            raise bad("modules", name, f"modules.{name} must be a table", f"write [modules.{name}]")
        values = {}
        for key, value in body.items():
            if key not in _MODULE_FIELDS:
                raise bad(section, key, f"unknown field {section}.{key}", "fields: " + ", ".join(_MODULE_FIELDS))
            kind, low, high = _MODULE_FIELDS[key]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise bad(section, key, f"{section}.{key} must be {'a number' if kind is float else kind.__name__}",
                          f"got {value!r}")
            if low is not None and not low <= value <= high:
                raise bad(section, key, f"{section}.{key} = {value} is out of range", f"{low} to {high}")
            values[key] = value
        prober = values.setdefault("prober", "icmp")
        if prober not in PROBERS:
            raise bad(section, "prober", f"{section}.prober {prober!r} is unknown", "icmp or tcp")
        if prober == "tcp" and "port" not in values:
            raise bad(section, None, f"{section}: a tcp module needs a port", "add port = N")
        if prober == "icmp" and "port" in values:
            raise bad(section, "port", f"{section}.port applies to tcp modules only", "drop it or set prober = \"tcp\"")
        modules[name] = Module(name=name, **values)
    return Config(allow=tuple(allow), modules=modules)
