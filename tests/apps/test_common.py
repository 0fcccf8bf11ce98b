"""The shared pieces of the apps: argument types and PS3.8 descriptions."""

from __future__ import annotations

import argparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomnet.apps import _common


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ((1, 1, 1), "no reason given (result 1, source 1, reason 1)"),
        ((1, 1, 2), "application context name not supported"),
        ((1, 1, 3), "calling AE title not recognized"),
        ((1, 1, 7), "called AE title not recognized (result 1, source 1, reason 7)"),
        ((1, 2, 1), "no reason given (ACSE)"),
        ((1, 2, 2), "protocol version not supported"),
        ((2, 3, 1), "temporary congestion (result 2, source 3, reason 1)"),
        ((2, 3, 2), "local limit exceeded"),
        ((1, 1, 5), "reserved reason (result 1, source 1, reason 5)"),
        ((2, 3, 0), "reserved reason"),
    ],
)
def test_describe_reject(fields, text):
    assert text in _common.describe_reject(*fields)


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ((0, 0), "by the peer's service-user (source 0)"),
        ((0, 6), "by the peer's service-user (source 0)"),
        ((2, 0), "reason not specified (source 2, reason 0)"),
        ((2, 1), "unrecognized PDU"),
        ((2, 2), "unexpected PDU"),
        ((2, 3), "reserved reason"),
        ((2, 4), "unrecognized PDU parameter"),
        ((2, 5), "unexpected PDU parameter"),
        ((2, 6), "invalid PDU parameter value (source 2, reason 6)"),
    ],
)
def test_describe_abort(fields, text):
    assert text in _common.describe_abort(*fields)


@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
def test_describe_reject_always_names_the_numbers(result, source, reason):
    text = _common.describe_reject(result, source, reason)
    assert text.endswith(f"(result {result}, source {source}, reason {reason})")


@pytest.mark.parametrize(
    ("function", "value", "expected"),
    [
        (_common.port_number, "0", 0),
        (_common.port_number, "65535", 65535),
        (_common.max_pdu, "0", 0),
        (_common.max_pdu, "4294967295", 0xFFFFFFFF),
        (_common.timeout, "0", None),
        (_common.timeout, "NONE", None),
        (_common.timeout, "2.5", 2.5),
        (_common.positive_count, "1", 1),
        (_common.ae_title, " SPACED ", " SPACED "),
    ],
)
def test_argument_types_accept(function, value, expected):
    assert function(value) == expected


@pytest.mark.parametrize(
    ("function", "value"),
    [
        (_common.port_number, "65536"),
        (_common.port_number, "-1"),
        (_common.port_number, "eleven"),
        (_common.max_pdu, "4294967296"),
        (_common.max_pdu, "1.5"),
        (_common.timeout, "-0.1"),
        (_common.timeout, "nan"),
        (_common.timeout, "later"),
        (_common.positive_count, "0"),
        (_common.ae_title, "SEVENTEEN-CHARSXX"),
        (_common.ae_title, ""),
        (_common.ae_title, "TAB\tTITLE"),
        (_common.ae_title, "ÄRZTE"),
    ],
)
def test_argument_types_refuse(function, value):
    with pytest.raises(argparse.ArgumentTypeError):
        function(value)


def test_run_parser_returns_statuses(capsys):
    parser = _common.make_parser("demo", "demo")
    parser.add_argument("x", type=int)
    assert _common.run_parser(parser, ["1"]) == argparse.Namespace(x=1)
    assert _common.run_parser(parser, ["one"]) == 2
    assert _common.run_parser(parser, ["--help"]) == 0
    capsys.readouterr()


class _ExitsWithText(argparse.ArgumentParser):
    def error(self, message: str):
        raise SystemExit(message)


def test_an_exit_with_a_message_is_a_usage_error():
    assert _common.run_parser(_ExitsWithText(), ["--bogus"]) == 2
