"""The ``dicomnet`` command: dispatch to the applications."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dicomnet import __main__ as cli
from dicomnet import __version__
from dicomnet.apps import APPS

from .conftest import LOOPBACK, TIMEOUT, dicomnet_command


def test_version(capsys):
    with pytest.raises(SystemExit) as raised:
        cli._parser().parse_args(["--version"])
    assert raised.value.code == 0
    capsys.readouterr()
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"dicomnet {__version__}"


@pytest.mark.parametrize("argv", [[], ["--help"]])
def test_help_lists_the_apps(capsys, argv):
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    for name in APPS:
        assert name in out


def test_unknown_app(capsys):
    assert cli.main(["frobscu"]) == 2
    assert "unknown application 'frobscu'" in capsys.readouterr().err


def test_unknown_option(capsys):
    assert cli.main(["--frobnicate"]) == 2
    assert "usage: dicomnet" in capsys.readouterr().err


def test_dispatch_passes_the_rest_on(scp, capsys):
    assert cli.main(["echoscu", LOOPBACK, str(scp.port)]) == 0
    assert scp.message_ids == [1]
    assert cli.main(["echoscp", "--version"]) == 0
    assert "dicomnet echoscp" in capsys.readouterr().out


def test_console_script_runs_echoscu_as_a_subprocess(scp):
    done = subprocess.run(
        dicomnet_command("echoscu", "-v", LOOPBACK, str(scp.port)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "I: Received Echo Response (Status: Success)" in done.stderr
    assert done.stdout == ""


def test_echoscu_subprocess_reports_a_refused_connection(closed_port):
    done = subprocess.run(
        dicomnet_command("echoscu", LOOPBACK, str(closed_port)),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 5
    assert done.stderr.startswith("E: Cannot connect to")
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "module", ["dicomnet", "dicomnet.apps.echoscu", "dicomnet.apps.echoscp"]
)
def test_runnable_as_modules(module):
    done = subprocess.run(
        [sys.executable, "-m", module, "--version"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0
    assert __version__ in done.stdout
