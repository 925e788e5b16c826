"""Each command's body: its options in, its exit status out.

netlab.cli declares each command's options for typer and calls the body here;
the fast lane (netlab.cli.fastlane) calls the same body without typer. Nothing
here imports click or typer (tests/unit/test_fastlane.py holds that), so a
command parsed by the fast lane starts without them.
"""
