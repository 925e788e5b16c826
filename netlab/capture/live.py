"""Live capture through libpcap (pcapy-ng): device choice, kernel filter, a stoppable loop.

Three things pcapy does not give for free, and how this module gets them:

* Stopping at once, even on a quiet interface. A blocking ``next()`` only
  returns with the next packet, so Ctrl-C would wait for one. The handle is
  non-blocking and the loop sleeps in select() on the capture fd *and* a wake-up
  pipe; ``request_stop()`` (safe to call from a signal handler) writes to the
  pipe, so select() returns immediately.
* Not losing what the kernel already accepted. When asked to stop, the loop
  reads libpcap's counters and keeps reading until it has handed out every
  packet the kernel counted as received and not dropped (bounded in time),
  instead of closing with a ring full of packets, as tcpdump does.
* Filtering in the kernel: ``setfilter`` compiles with libpcap and attaches
  the program to the packet socket, so unwanted packets never reach Python.
"""

from __future__ import annotations

import os
import select
import time
from dataclasses import asdict, dataclass
from typing import Iterator

from netlab.capture.reader import Collector, Packet
from netlab.core import privilege
from netlab.errors import EnvironmentProblem, PrivilegeError, UsageError

DEFAULT_SNAPLEN = 262144       # tcpdump's default, and what -s 0 means
POLL_MS = 100                  # libpcap's read timeout: how long the kernel holds a ring block back
DRAIN_SECONDS = 1.0            # at most this long to collect the packets already accepted
DRAIN_IDLE_SECONDS = 2.5 * POLL_MS / 1000  # nothing for this long: the ring holds nothing more
# Live capture needs CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode). No setcap advice:
# netlab runs on a Python interpreter (in a venv a link to the system's), and capabilities on
# it would give every Python program raw sockets. Root for the one run, or tcpdump's file.
PRIVILEGE_HINT = ("live capture needs root (CAP_NET_RAW): run it with sudo, or record with "
                  "sudo tcpdump -w FILE and read that with netlab capture -r FILE")

IFF_UP = 0x1
IFF_LOOPBACK = 0x8

# libpcap's pseudo-devices have no /sys entry; their descriptions as `tcpdump -D` prints them.
_PSEUDO_DEVICES = {
    "any": "Pseudo-device that captures on all interfaces",
    "bluetooth-monitor": "Bluetooth Linux Monitor",
    "nflog": "Linux netfilter log (NFLOG) interface",
    "nfqueue": "Linux netfilter queue (NFQUEUE) interface",
    "dbus-system": "D-Bus system bus",
    "dbus-session": "D-Bus session bus",
}


@dataclass(slots=True)
class Device:
    """One capture device as `tcpdump -D` lists it."""

    index: int
    name: str
    description: str | None
    up: bool
    running: bool
    loopback: bool
    connected: bool | None  # None: not applicable or unknown

    def flags(self) -> list[str]:
        words = []
        if self.up:
            words.append("Up")
        if self.running:
            words.append("Running")
        if self.loopback:
            words.append("Loopback")
        elif self.connected is True:
            words.append("Connected")
        elif self.connected is False:
            words.append("Disconnected")
        return words

    def as_dict(self) -> dict:
        d = asdict(self)
        d["flags"] = self.flags()
        return d


@dataclass(slots=True)
class CaptureStats:
    """libpcap's counters, named as tcpdump prints them."""

    captured: int            # packets handed out by this loop
    received_by_filter: int  # the kernel's count of packets that passed the filter
    dropped_by_kernel: int   # ... and had no room in the ring
    dropped_by_interface: int

    def as_dict(self) -> dict:
        return asdict(self)


def list_devices() -> list[Device]:
    """The devices libpcap can capture on, in its order, with their state from /sys."""
    import pcapy

    try:
        names = pcapy.findalldevs()
    except pcapy.PcapError as err:
        raise EnvironmentProblem(f"cannot list capture devices: {err}", "is /sys mounted?") from None
    return [_describe(i, name) for i, name in enumerate(names, 1)]


def _describe(index: int, name: str) -> Device:
    flags = _sys_flags(name)
    if flags is None:  # a pseudo-device: only "any" is up and running
        is_any = name == "any"
        return Device(index, name, _PSEUDO_DEVICES.get(name), is_any, is_any, False, None)
    loopback = bool(flags & IFF_LOOPBACK)
    # /sys shows the configured flags; "running" (IFF_RUNNING) is up with a carrier.
    running = bool(flags & IFF_UP) and _read_sys(name, "carrier") == "1"
    connected = None
    if flags & IFF_UP and not loopback:
        state = _read_sys(name, "operstate")
        connected = {"up": True, "down": False}.get(state or "")
    return Device(index, name, None, bool(flags & IFF_UP), running, loopback, connected)


def _read_sys(name: str, attribute: str) -> str | None:
    try:
        with open(f"/sys/class/net/{name}/{attribute}") as f:
            return f.read().strip()
    except OSError:
        return None


def _sys_flags(name: str) -> int | None:
    text = _read_sys(name, "flags")
    return int(text, 16) if text else None


def default_device() -> str:
    """What tcpdump picks without -i: the first device that is up and not loopback.

    In libpcap's order, which puts interfaces that are up and running first, then
    the `any` pseudo-device, then the rest: so a namespace with nothing but
    loopback captures on `any`, as tcpdump does there.
    """
    devices = list_devices()
    for device in devices:
        if device.up and device.running and not device.loopback and device.description is None:
            return device.name
    if any(device.name == "any" for device in devices):
        return "any"
    raise UsageError("no interface is up to capture on", "name one with -i; see 'netlab capture -D'")


class LiveCapture:
    """A live capture handle: activated, filtered in the kernel, non-blocking.

    Iterate for packets ``(ts_sec, ts_frac, caplen, length, data)``; the loop
    ends after ``request_stop()`` once the accepted packets are drained.
    """

    def __init__(self, device: str, snaplen: int = DEFAULT_SNAPLEN, expression: str | None = None,
                 promisc: bool = True, nano: bool = False, poll_ms: int = POLL_MS, buffer_bytes: int | None = None,
                 direction: str | None = None, immediate: bool = False, tstamp_type: str | None = None,
                 linktype: str | None = None):
        import pcapy

        self.device = device
        self.snaplen = snaplen or DEFAULT_SNAPLEN
        self.nano = nano
        self.captured = 0
        self.warnings: list[str] = []  # what libpcap warned about and went on (tcpdump's "warning: ...")
        self._stop = False
        self._closed = False
        self._final_stats: CaptureStats | None = None
        try:
            handle = pcapy.create(device)
        except pcapy.PcapError as err:
            raise _open_error(device, str(err)) from None
        try:
            _set_before_activation(handle, device, nano, immediate, tstamp_type, self.warnings)
            handle.set_snaplen(self.snaplen)
            handle.set_promisc(1 if promisc else 0)
            handle.set_timeout(poll_ms)
            if buffer_bytes:
                handle.set_buffer_size(buffer_bytes)
            status = handle.activate()
        except pcapy.PcapError as err:
            handle.close()
            raise _open_error(device, str(err)) from None
        except BaseException:
            handle.close()
            raise
        if status is not None and status < 0:
            # pcapy returns pcap_activate()'s status instead of raising: say it in libpcap's words.
            handle.close()
            raise _open_error(device, _STATUS_TEXT.get(status, f"libpcap error {status}"))
        self._handle = handle
        try:
            if linktype is not None:
                _set_linktype(handle, device, linktype)
            self.linktype = handle.datalink()
            if direction:
                _set_direction(handle, direction)
            if expression:
                try:
                    handle.setfilter(expression)  # compiled by libpcap, attached to the socket
                except pcapy.PcapError as err:
                    from netlab.capture.bpf import BAD_FILTER_HINT

                    raise UsageError(str(err), BAD_FILTER_HINT) from None
            handle.setnonblock(1)
            self._fd = handle.getfd()
            self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        except BaseException:
            handle.close()
            raise

    # -- stopping -----------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the loop to drain and end. Safe from a signal handler or another thread."""
        self._stop = True
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass  # the pipe is full (a stop is already pending) or closed

    # -- reading ------------------------------------------------------------------
    def __iter__(self) -> Iterator[Packet]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[Packet]]:
        """Packets in the groups the kernel hands them over (print each group at once)."""
        collect = Collector()  # libpcap stamps in the precision asked for (nano: nanoseconds)
        watch = [self._fd, self._wake_r]
        while not self._stop:
            ready = select.select(watch, (), (), 1.0)[0]
            if self._wake_r in ready:
                continue  # request_stop() set the flag: go and drain
            self._dispatch(collect)
            if collect.packets:
                batch = collect.take()
                self.captured += len(batch)
                yield batch
        yield from self._drain(collect)

    def _dispatch(self, collect: Collector) -> None:
        import pcapy

        try:
            self._handle.dispatch(-1, collect)
        except pcapy.PcapError as err:  # the interface went away or down under us
            raise EnvironmentProblem(f"capture on {self.device} failed: {err}",
                                     f"check the interface: ip link show {self.device}") from None

    def _drain(self, collect: Collector) -> Iterator[list[Packet]]:
        """Read on until every packet the kernel accepted before the stop is handed out.

        The kernel's count can exceed what libpcap will ever deliver (on loopback it
        counts the outgoing copy that libpcap discards), so the drain also ends when
        nothing has come for longer than a ring block can be held back, and after
        DRAIN_SECONDS in any case.
        """
        received, dropped, _ = self._handle.stats()
        accepted = received - dropped
        now = time.monotonic()
        deadline = now + DRAIN_SECONDS
        quiet_until = now + DRAIN_IDLE_SECONDS
        while True:
            self._dispatch(collect)
            now = time.monotonic()
            if collect.packets:
                batch = collect.take()
                self.captured += len(batch)
                yield batch
                quiet_until = now + DRAIN_IDLE_SECONDS
            if self.captured >= accepted or now >= min(deadline, quiet_until):
                break
            select.select([self._fd], (), (), 0.02)

    def stats(self) -> CaptureStats:
        """Counters now (or at close): captured, received by filter, dropped by kernel."""
        if self._closed:
            return self._final_stats or CaptureStats(self.captured, 0, 0, 0)
        received, dropped, if_dropped = self._handle.stats()
        return CaptureStats(self.captured, received, dropped, if_dropped)

    def close(self) -> CaptureStats:
        """Close the handle; returns the final counters."""
        if not self._closed:
            try:
                self._final_stats = self.stats()
            finally:
                self._closed = True
                self._handle.close()
                os.close(self._wake_r)
                os.close(self._wake_w)
        return self._final_stats

    def __enter__(self) -> "LiveCapture":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# pcap_statustostr() for what pcap_activate() can return.
_STATUS_TEXT = {
    -1: "Generic error",
    -4: "The setting can't be changed after the pcap_t is activated",
    -5: "No such device exists",
    -6: "That device doesn't support monitor mode",
    -8: "You don't have permission to perform this capture on that device",
    -9: "That device is not up",
    -10: "That device doesn't support setting the time stamp type",
    -11: "You don't have permission to capture in promiscuous mode",
}


DIRECTIONS = ("in", "out", "inout")


def _set_before_activation(handle, device: str, nano: bool, immediate: bool, tstamp_type: str | None,
                           warnings: list[str]) -> None:
    """--nano / --time-stamp-precision, --immediate-mode, -j: what libpcap takes only before activation.

    The refusals and the warning are tcpdump's (open_interface() in tcpdump.c).
    """
    from netlab.capture import pcapctl

    precision = pcapctl.TSTAMP_PRECISION_NANO if nano else pcapctl.TSTAMP_PRECISION_MICRO
    status = pcapctl.set_tstamp_precision(handle, precision)
    if status != 0:
        raise UsageError(f"{device}: Can't set {'nano' if nano else 'micro'}second time stamp precision: "
                         f"{pcapctl.status_text(status)}", "capture without --nano")
    if immediate:
        status = pcapctl.set_immediate_mode(handle, 1)
        if status != 0:
            raise UsageError(f"{device}: Can't set immediate mode: {pcapctl.status_text(status)}",
                             "capture without --immediate-mode")
    if tstamp_type is not None:
        value = pcapctl.tstamp_type_value(tstamp_type)
        if value < 0:
            raise UsageError(f"invalid time stamp type {tstamp_type}", "see 'netlab capture -J -i DEVICE'")
        status = pcapctl.set_tstamp_type(handle, value)
        if status < 0:
            raise UsageError(f"{device}: Can't set time stamp type: {pcapctl.status_text(status)}",
                             f"see 'netlab capture -J -i {device}'")
        if status > 0:
            warnings.append(f"When trying to set timestamp type '{pcapctl.tstamp_type_name(value)}' on {device}: "
                            f"{pcapctl.status_text(status)}")


def _set_linktype(handle, device: str, name: str) -> None:
    """-y: the link type to capture with, if the device offers it (pcap_set_datalink)."""
    from netlab.capture import pcapctl

    value = pcapctl.datalink_value(name)
    if value < 0:
        raise UsageError(f"invalid data link type {name}", f"see 'netlab capture -L -i {device}'")
    refused = pcapctl.set_datalink(handle, value)
    if refused is not None:
        raise UsageError(refused, f"see 'netlab capture -L -i {device}'")


def device_linktypes(device: str) -> list[int]:
    """-L: the link types the device offers, libpcap's list (the device is opened to ask it)."""
    from netlab.capture import pcapctl

    with LiveCapture(device) as capture:
        return pcapctl.datalinks(capture._handle)


def device_tstamp_types(device: str) -> list[int]:
    """-J: the time stamp types the device offers (asked of a handle not yet activated, as tcpdump does)."""
    import pcapy

    from netlab.capture import pcapctl

    try:
        handle = pcapy.create(device)
    except pcapy.PcapError as err:
        raise _open_error(device, str(err)) from None
    try:
        return pcapctl.tstamp_types(handle)
    finally:
        handle.close()


def _set_direction(handle, direction: str) -> None:
    """-Q: only packets received (in), sent (out), or both (any case, as tcpdump)."""
    import pcapy

    direction = direction.lower()
    if direction not in DIRECTIONS:
        raise UsageError(f"invalid direction {direction!r}", "-Q takes in, out or inout")
    value = {"in": pcapy.PCAP_D_IN, "out": pcapy.PCAP_D_OUT, "inout": pcapy.PCAP_D_INOUT}[direction]
    try:
        handle.setdirection(value)
    except pcapy.PcapError as err:
        raise UsageError(f"cannot capture only direction {direction}: {err}", "use -Q inout") from None


def _open_error(device: str, message: str) -> Exception:
    """libpcap's reason for not opening, as the error a user can act on."""
    lowered = message.lower()
    if "permission" in lowered or "not permitted" in lowered or (not privilege.can_raw() and "no such" not in lowered):
        return PrivilegeError(f"cannot capture on {device}: {message}", PRIVILEGE_HINT)
    if "no such device" in lowered or "doesn't exist" in lowered:
        return UsageError(f"cannot capture on {device}: {message}", "see 'netlab capture -D' for the devices")
    if "not up" in lowered or "network is down" in lowered:
        return UsageError(f"cannot capture on {device}: {message}", f"bring it up: ip link set {device} up")
    return EnvironmentProblem(f"cannot capture on {device}: {message}", "see 'netlab capture -D'")

