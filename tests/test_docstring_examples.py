"""Every docstring example in embrace runs and prints what it says (DESIGN: "a docstring with an
example that runs"). One test per module, inside the suite's isolated, offline environment."""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import embrace

# `__main__` modules are scripts: importing one runs the command line.
MODULES = sorted(info.name for info in pkgutil.walk_packages(embrace.__path__, "embrace.")
                 if not info.name.endswith(".__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()[-4000:]
