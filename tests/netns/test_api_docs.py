"""docs/api.md with its +PRIVILEGED examples too (backlog and reuseaddr in private namespaces)."""

from __future__ import annotations

import pytest

from tests.helpers.apidocs import run_api_doc

pytestmark = pytest.mark.privileged


def test_every_example_of_docs_api_md_runs_as_root():
    failed, attempted = run_api_doc(privileged=True)
    assert attempted >= 34, "docs/api.md lost its examples"
    assert failed == 0, "a docs/api.md example failed: its report is in the captured stdout above"
