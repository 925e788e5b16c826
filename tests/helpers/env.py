"""Where the tests find things, and the rule for what they need: in CI a missing tool fails.

CI (CI=true) must never turn green by skipping: a missing peer tool or the
missing conformance data is a failure there, a skip elsewhere.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# ../shared beside the checkout (as CI places it) holds tcpdump's conformance data.
SHARED = Path(os.environ.get("NETLAB_SHARED", ROOT.parent / "shared"))
CONFORMANCE = SHARED / "conformance"


def require_conformance() -> Path:
    """The conformance folder; skip without it, but in CI its absence is a failure."""
    if not (CONFORMANCE / "tcpdump" / "manifest.tsv").exists():
        if IN_CI:
            pytest.fail(f"conformance data missing at {CONFORMANCE} (CI places shared/ beside the clone)")
        pytest.skip(f"no conformance data at {CONFORMANCE}")
    return CONFORMANCE


def require_tool(name: str) -> str:
    """The path of an external tool the test compares with; skip (fail in CI) if absent."""
    path = shutil.which(name)
    if path is None:
        why = f"{name} is not installed (scripts/install.sh --test installs it)"
        if IN_CI:
            pytest.fail(f"CI: {why}")
        pytest.skip(why)
    return path
