"""netlab.ping pieces that need no network: iputils' arithmetic and texts, option checks, packets."""

from __future__ import annotations

import math
import socket

import pytest

from netlab.core.inet import checksum
from netlab.errors import UsageError
from netlab.ping import icmp, text
from netlab.ping.options import PingOptions, parse_pattern
from netlab.ping.records import Summary, Target
from netlab.ping.resolve import resolve
from netlab.ping.stats import RttStats

T4 = Target("10.77.0.2", "10.77.0.2", socket.AF_INET, True)


def stats_of(*rtts_us: int) -> RttStats:
    st = RttStats()
    for us in rtts_us:
        st.add_rtt(us)
        st.received += 1
    st.transmitted = len(rtts_us)
    return st


def test_mdev_matches_iputils_output():
    # Real iputils run (ping -c 3 -i 0.2 over veth): times 0.300, 0.050, 0.048 ms gave
    # "rtt min/avg/max/mdev = 0.048/0.132/0.300/0.118 ms".
    st = stats_of(300, 50, 48)
    assert (st.min_us(), st.avg_us(), st.tmax, st.mdev_us()) == (48, 132, 300, 118)
    # and 0.118, 0.040 -> 0.040/0.079/0.118/0.039
    st = stats_of(118, 40)
    assert (st.min_us(), st.avg_us(), st.tmax, st.mdev_us()) == (40, 79, 118, 39)


def test_ewma_kept_times_eight():
    st = stats_of(100, 200)
    assert st.ewma8 == 800 + 200 - 100  # iputils: rtt += triptime - rtt/8


@pytest.mark.parametrize("us,shown", [(42, "0.042"), (999, "0.999"), (1234, "1.23"), (9994, "9.99"), (9995, "10.0"),
                                      (12345, "12.3"), (99949, "99.9"), (99950, "100"), (123456, "123")])
def test_reply_time_rounding_like_iputils(us, shown):
    assert text.rtt_text(us) == shown


def test_loss_is_a_c_float_printed_with_g():
    st = RttStats()
    st.transmitted, st.received = 3, 2
    assert text.loss_text(st.loss_pct()) == "33.3333%"
    st.transmitted, st.received = 10, 8
    assert text.loss_text(st.loss_pct()) == "20%"


def _summary(**kw) -> Summary:
    base = dict(target=T4, transmitted=3, received=3, duplicates=0, errors=0, loss_pct=0.0, rtt_min_us=48,
                rtt_avg_us=132, rtt_max_us=300, rtt_mdev_us=118, ewma_us8=0, pipe=1, elapsed_ms=405)
    base.update(kw)
    return Summary(**base)


def test_statistics_block_lines():
    assert text.statistics(_summary(), PingOptions()) == [
        "", "--- 10.77.0.2 ping statistics ---",
        "3 packets transmitted, 3 received, 0% packet loss, time 405ms",
        "rtt min/avg/max/mdev = 0.048/0.132/0.300/0.118 ms"]
    errs = _summary(received=0, errors=2, duplicates=0, loss_pct=100.0, rtt_min_us=None)
    assert text.statistics(errs, PingOptions())[2:] == [
        "3 packets transmitted, 0 received, +2 errors, 100% packet loss, time 405ms", ""]
    dups = _summary(duplicates=1)
    assert text.statistics(dups, PingOptions())[2].startswith("3 packets transmitted, 3 received, +1 duplicates, 0%")


def test_headers():
    assert text.header(T4, PingOptions()) == "PING 10.77.0.2 (10.77.0.2) 56(84) bytes of data."
    t6 = Target("fd77::2", "fd77::2", socket.AF_INET6, True)
    assert text.header(t6, PingOptions(size=100)) == "PING fd77::2(fd77::2) 100 data bytes"


def test_status_line_like_sigquit():
    st = stats_of(100, 300)
    st.transmitted = 4
    assert text.status_line(st) == "2/4 packets, 50% loss, min/avg/ewma/max = 0.100/0.200/0.125/0.300 ms"


def test_icmp_error_words():
    assert icmp.describe_v4(11, 0) == "Time to live exceeded"
    assert icmp.describe_v4(3, 0) == "Destination Net Unreachable"
    assert icmp.describe_v4(3, 3) == "Destination Port Unreachable"
    assert icmp.describe_v4(3, 4, 1400) == "Frag needed and DF set (mtu = 1400)"
    assert icmp.describe_v6(1, 4) == "Destination unreachable: Port unreachable"
    assert icmp.describe_v6(3, 0) == "Time exceeded: Hop limit"


def test_incremental_checksum_equals_full_checksum():
    packet = icmp.echo_request(False, 0x1234, icmp.payload(56))
    base = icmp.partial_sum(packet)
    for seq in (1, 2, 255, 65535):
        full = bytearray(packet)
        full[6:8] = seq.to_bytes(2, "big")
        assert icmp.fold(base + seq) == checksum(full)


def test_pattern_fill():
    assert icmp.payload(5, parse_pattern("ab")) == b"\xab" * 5
    assert parse_pattern("abc") == b"\x0a\xbc"
    with pytest.raises(UsageError):
        parse_pattern("xyz")


@pytest.mark.parametrize("opts", [dict(count=0), dict(size=70000), dict(interval=-1), dict(ttl=256),
                                  dict(pmtudisc="maybe"), dict(tos=300), dict(deadline=-1), dict(size=65508, family=4),
                                  dict(tcp_port=80, flood=True), dict(tcp_port=80, interval=0)])
def test_bad_options_are_usage_errors(opts):
    with pytest.raises(UsageError):
        PingOptions(**opts).validate()


@pytest.mark.parametrize("field,words", [("interval", "bad timing interval"), ("timeout", "bad linger time"),
                                         ("deadline", "bad wait time")])
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize("tcp_port", [None, 9])
def test_seconds_refuse_inf_and_nan(field, words, value, tcp_port):
    # iputils 20221126 on 127.0.0.1: `ping -i inf` "bad timing interval: inf", `ping -W nan`
    # "bad linger time: nan", both exit 2; -w inf|nan "invalid argument" (exit 1 there,
    # 2 here: bad input is 2 for every netlab command).
    with pytest.raises(UsageError, match=words) as caught:
        PingOptions(tcp_port=tcp_port, **{field: value}).validate()
    assert caught.value.exit_code == 2


def test_invalid_tld_is_refused_without_asking_dns():
    with pytest.raises(UsageError, match="nonexistent.invalid"):
        resolve("nonexistent.invalid")


def test_numeric_target_and_family_clash():
    assert resolve("10.77.0.2").numeric
    with pytest.raises(UsageError, match="Address family"):
        resolve("10.77.0.2", family=6)


def test_exit_codes_follow_iputils():
    from netlab.errors import ExitStatus
    from netlab.ping import exit_status

    ok, negative = ExitStatus.OK, ExitStatus.NEGATIVE
    assert exit_status([_summary()], PingOptions(count=3)) is ok
    assert exit_status([_summary(received=1)], PingOptions(count=3)) is ok  # some reply: 0
    assert exit_status([_summary(received=0)], PingOptions(count=3)) is negative
    assert exit_status([_summary(received=2)], PingOptions(count=3, deadline=5)) is negative  # -c and -w: all of them
    assert exit_status([_summary(received=3)], PingOptions(count=3, deadline=5)) is ok
    assert exit_status([_summary(received=2)], PingOptions(count=3, deadline=0)) is ok  # -w 0: no deadline
    assert exit_status([_summary(), _summary(received=0)], PingOptions(count=3)) is negative  # every host must answer


def test_cli_formats_are_the_printers_formats():
    from netlab.cli import ping as cli_ping
    from netlab.ping import output

    assert cli_ping.FORMATS == output.FORMATS


def test_session_factory_picks_the_mode():
    from netlab.ping import PingSession, Session, TcpPingSession, session

    assert issubclass(PingSession, Session) and issubclass(TcpPingSession, Session)
    run = session([resolve("127.0.0.1")], PingOptions(count=1, tcp_port=9).validate())
    try:
        assert type(run) is TcpPingSession and run.targets[0].address == "127.0.0.1"
    finally:
        run.close()
    with pytest.raises(UsageError):
        session([], PingOptions(count=1, tcp_port=9).validate())


def test_records_and_options_behave_as_the_dataclasses_they_were():
    # Plain classes for start-up (netlab.core.plain): repr, equality, no hash, defaults, and
    # an unknown keyword in the words a dataclass's __init__ uses (netlab.ping.session repeats them).
    import dataclasses

    from netlab.ping import PingOptions, Summary, Target

    @dataclasses.dataclass
    class Target_:
        host: str
        address: str
        family: int
        numeric: bool

    t = Target("h", "127.0.0.1", 2, True)
    fields = repr(Target_("h", "127.0.0.1", 2, True)).partition("(")[2]  # after the (local) class's qualname
    assert repr(t) == "Target(" + fields
    assert t == Target("h", "127.0.0.1", 2, True) and t != Target("h", "127.0.0.2", 2, True)
    with pytest.raises(TypeError):
        hash(t)
    a, b = (Summary(t, 1, 1, 0, 0, 0.0, 1, 1, 1, 0, 8, 1, 0) for _ in range(2))
    assert a.replies == [] and a.replies is not b.replies and a.time == 0.0
    assert PingOptions(count=2) == PingOptions(2) and PingOptions().size == 56
    with pytest.raises(TypeError, match=r"^PingOptions.__init__\(\) got an unexpected keyword argument 'cuont'$"):
        PingOptions(cuont=1)
