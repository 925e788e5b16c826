"""docs/api.md run as doctests: the examples everywhere, those marked +PRIVILEGED only as root."""

from __future__ import annotations

import doctest

from tests.helpers.env import ROOT

API_DOC = ROOT / "docs" / "api.md"
# `# doctest: +PRIVILEGED` marks an example that needs root (a private network namespace).
PRIVILEGED = doctest.register_optionflag("PRIVILEGED")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


class _SkipPrivileged(doctest.DocTestParser):
    """The parser of an unprivileged run: +PRIVILEGED examples become +SKIP."""

    def get_doctest(self, string, globs, name, filename, lineno):
        test = super().get_doctest(string, globs, name, filename, lineno)
        for example in test.examples:
            if example.options.get(PRIVILEGED):
                example.options[doctest.SKIP] = True
        return test


def run_api_doc(privileged: bool) -> doctest.TestResults:
    """doctest.testfile on docs/api.md; a failure's report goes to stdout (pytest shows it)."""
    parser = doctest.DocTestParser() if privileged else _SkipPrivileged()
    return doctest.testfile(str(API_DOC), module_relative=False, optionflags=FLAGS, parser=parser,
                            encoding="utf-8")
