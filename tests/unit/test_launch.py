"""The launcher's signal handling, in a real interpreter: an interrupt is never lost or printed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.helpers.env import ROOT

# A weakref callback that is interrupted, as a SIGTERM landing in importlib's module-lock
# callback was (found by tests/cli/test_interrupts.py): Python calls it on the side and
# only prints what it raises. The program then loops until the interrupt reaches it.
PROGRAM = textwrap.dedent("""
    import sys, time, weakref
    from netlab.cli.launch import handle_interruptions
    handle_interruptions()

    class Thing:
        pass

    def callback(_ref):
        raise KeyboardInterrupt  # what a signal handler raises inside the callback

    thing = Thing()
    ref = weakref.ref(thing, callback)
    try:
        del thing  # runs the callback
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pass
        print("interrupt lost")
    except KeyboardInterrupt:
        print("interrupted in the program")
""")


def run(program: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=30,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_an_interrupt_inside_a_side_callback_reaches_the_program_without_a_traceback():
    proc = run(PROGRAM)
    assert proc.stdout.strip() == "interrupted in the program"
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr


def test_other_errors_in_side_callbacks_are_still_reported():
    proc = run(PROGRAM.replace("raise KeyboardInterrupt  #", "raise ValueError('boom')  #")
               .replace("deadline = time.monotonic() + 5", "deadline = time.monotonic() + 0.1"))
    assert proc.stdout.strip() == "interrupt lost"  # nothing to deliver: the loop ran out
    assert "Exception ignored" in proc.stderr and "ValueError: boom" in proc.stderr
