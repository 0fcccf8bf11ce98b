"""The server pieces the SCP tools share: network options and start-up."""

from __future__ import annotations

import argparse
import logging
import socket

import pytest

from dicomnet.apps import _runner
from dicomnet.apps._common import EXIT_CONNECTION, AppError, add_timeout_options
from dicomnet.sop_class import Verification

from .conftest import LOOPBACK


def _parser(**kwargs) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prefix_chars="-+")
    _runner.add_network_options(parser, aetitle="SOMESCP", **kwargs)
    add_timeout_options(parser)
    parser.add_argument("port", type=int)
    return parser


def test_network_options_defaults():
    options = _parser().parse_args(["0"])
    assert (options.aetitle, options.bind, options.max_associations) == (
        "SOMESCP",
        "",
        10,
    )
    assert (options.processes, options.require_called_aet) == (1, False)
    assert not hasattr(options, "require_calling_aet")


@pytest.mark.parametrize(
    ("kwargs", "argv", "wanted"),
    [
        ({"processes": False}, ["--processes", "2"], None),
        ({"fork": True}, ["--fork"], "processes"),
        ({"calling_aet": True}, ["--require-calling-aet", "A"], "require_calling_aet"),
    ],
)
def test_network_options_switches(kwargs, argv, wanted, capsys):
    if wanted is None:
        with pytest.raises(SystemExit):
            _parser(**kwargs).parse_args([*argv, "0"])
        assert "unrecognized arguments" in capsys.readouterr().err
    else:
        assert getattr(_parser(**kwargs).parse_args([*argv, "0"]), wanted)


def test_server_ae_takes_the_options():
    options = _parser().parse_args(["-aet", "X", "--max-associations", "3", "0"])
    ae = _runner.server_ae(options)
    assert (ae.ae_title, ae.maximum_associations) == ("X", 3)


def _verification_ae(options: argparse.Namespace):
    ae = _runner.server_ae(options)
    ae.add_supported_context(Verification)
    return ae


def test_listen_and_log_start(caplog):
    options = _parser().parse_args(["-b", LOOPBACK, "0"])
    ae = _verification_ae(options)
    logger = logging.getLogger("dicomnet.apps.test")
    with caplog.at_level(logging.INFO, logger="dicomnet.apps.test"):
        server = _runner.listen(ae, options, ssl_context=None, evt_handlers=[])
        try:
            _runner.log_start(logger, options, tls=True, server=server, detail=", x")
        finally:
            ae.shutdown()
        options.processes = 2
        _runner.log_start(logger, options, tls=False)
    port = server.server_address[1]
    assert caplog.messages == [
        f"Listening on {LOOPBACK} port {port} as SOMESCP (TLS), x",
        "Starting 2 processes as SOMESCP",
    ]


def test_listen_on_a_taken_port():
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        options = _parser().parse_args(["-b", LOOPBACK, str(port)])
        ae = _verification_ae(options)
        with pytest.raises(AppError) as raised:
            _runner.listen(ae, options, ssl_context=None, evt_handlers=[])
        ae.shutdown()
    assert raised.value.status == EXIT_CONNECTION
    assert str(raised.value).startswith(f"Cannot listen on {LOOPBACK} port {port}: ")
