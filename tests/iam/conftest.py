"""Log every AWS call the functions make in this session, and run the IAM check on them last.

pytest loads this file while it collects tests/iam, before any test runs: from then on the
functions' calls are logged (devstack.aws_calls) to a folder of this session, by this process
and by every local stack it starts, which inherits CHATGROUP_AWS_CALLS. The check
(test_observed_calls.py) is moved to the end of the run, so it sees the calls of every test
before it; `SuiteProgress` tells it whether the whole suite ran and passed, the one case in
which a grant no call used means the grant is not needed.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from devstack.aws_calls import LOG_FOLDER_VARIABLE, log_calls_if_asked

CHECK_MODULE = Path(__file__).with_name("test_observed_calls.py")


class SuiteProgress:
    """What this run selected and how each test ended: enough to know whether the whole suite ran and passed."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        self.deselected = 0
        self.selected: set[str] = set()
        self.unfinished: set[str] = set()

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """The check runs after every other test, whatever order the others were put in."""
        items.sort(key=lambda item: item.path == CHECK_MODULE)
        self.selected = {item.nodeid for item in items if item.path != CHECK_MODULE}
        self.unfinished = set(self.selected)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid not in self.selected:
            return
        if report.failed or (report.skipped and not hasattr(report, "wasxfail")):
            self.unfinished.add(f"{report.nodeid} ({report.when} {report.outcome})")
            return
        if report.when == "call" or (report.when == "setup" and hasattr(report, "wasxfail")):
            self.unfinished.discard(report.nodeid)

    def whole_suite_passed(self) -> str | None:
        """None if every test of the suite ran and passed before the check; otherwise why not."""
        if not self._covers_testpaths():
            return f"only part of the suite was selected ({' '.join(self._config.args)})"
        if self.deselected:
            return f"{self.deselected} tests were deselected (-k, -m, --lf or the like)"
        if self.unfinished:
            return f"{len(self.unfinished)} tests did not run and pass, e.g. {sorted(self.unfinished)[0]}"
        return None

    def _covers_testpaths(self) -> bool:
        """Whether the run's arguments name every folder of `testpaths` (or one holding it), not single tests."""
        root = self._config.rootpath
        testpaths = [(root / path).resolve() for path in self._config.getini("testpaths")] or [root]
        if any("::" in argument for argument in self._config.args):
            return False
        arguments = [(self._config.invocation_params.dir / argument).resolve() for argument in self._config.args]
        return all(any(path.is_relative_to(argument) for argument in arguments) for path in testpaths)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    folder = tempfile.mkdtemp(prefix="chatgroup-aws-calls-")
    os.environ[LOG_FOLDER_VARIABLE] = folder
    log_calls_if_asked()
    config.pluginmanager.register(SuiteProgress(config), "chatgroup-suite-progress")


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = os.environ.pop(LOG_FOLDER_VARIABLE, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def call_log() -> Path:
    """The folder every process of this session logs its functions' AWS calls to."""
    return Path(os.environ[LOG_FOLDER_VARIABLE])


@pytest.fixture(scope="session")
def suite(pytestconfig: pytest.Config) -> SuiteProgress:
    progress = pytestconfig.pluginmanager.get_plugin("chatgroup-suite-progress")
    assert isinstance(progress, SuiteProgress)
    return progress
