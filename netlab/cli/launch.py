"""The console script: start what can run ahead, then hand over to the typer app.

Importing typer and click takes about 50 ms. `netlab conns` needs the owners
of every socket, a walk of /proc that does not depend on its options, so that
walk starts here, in a thread on the other core, before anything heavy is
imported (netlab.core.owners.prefetch; a no-op without the C walker).
"""

from __future__ import annotations

import sys


def needs_owner_walk(argv: list[str]) -> bool:
    """Whether these arguments run `netlab conns` with owning processes.

    -s/--summary counts sockets without owners, --pid walks one process, and
    --help walks nothing. conns's short options are all flags, so -s can only
    hide in a cluster such as -tas.
    """
    if argv[:1] != ["conns"]:
        return False
    for arg in argv[1:]:
        if arg == "--":
            break
        if arg in ("--summary", "--help", "-h") or arg.startswith("--pid"):
            return False
        if arg.startswith("-") and not arg.startswith("--") and ("s" in arg or "h" in arg):
            return False
    return True


def main() -> None:
    if needs_owner_walk(sys.argv[1:]):
        from netlab.core import owners

        owners.prefetch()
    from netlab.cli.app import main as run

    run()
