"""AE title and UID fields of the Upper Layer PDUs: decoding, checking, encoding.

PS3.8 9.3.2 fixes AE titles at 16 bytes (PS3.5 AE value representation) and
carries UIDs (PS3.5 9.1) in variable-length items. Real devices pad, truncate
and overrun in small, harmless ways; this module decides, in one place, what is
tolerated (with a logged warning) and what is a protocol error.
"""

from __future__ import annotations

import logging
import re

from dicomnet.errors import (
    InvalidPDUParameterValueError,
    LocalProtocolError,
    RejectCode,
)

_LOGGER = logging.getLogger(__name__)

#: PS3.8 9.3.2: the called and calling AE title fields are 16 bytes.
AE_TITLE_LENGTH = 16
#: PS3.5 9.1: a UID is at most 64 characters.
UID_MAX_LENGTH = 64

# Trailing padding a peer may leave in a field: PS3.5 pads AE titles with
# spaces; some toolkits pad UIDs to even length with NUL (PS3.5 9.1 does so in
# data sets, and the habit leaks into PDU items) or fill AE fields with NULs.
_PADDING = b" \x00"
#: Well-formed UIDs already decoded: an A-ASSOCIATE-RQ names the same transfer
#: syntaxes in every context, and a storage SCU the same SOP classes in every
#: request. Bounded, so that a peer sending new UIDs cannot grow it.
_DECODED_UIDS: dict[bytes, str] = {}
_MAX_DECODED_UIDS = 4096

# PS3.5 6.2, AE VR: the default character repertoire without backslash (5CH)
# and without control characters, i.e. bytes 20H-5BH and 5DH-7EH.
_AE_FORBIDDEN = re.compile(rb"[^\x20-\x5b\x5d-\x7e]")


def decode_ae_title(raw: bytes, *, field: str, reject: RejectCode) -> str:
    """Decode an AE title field of an A-ASSOCIATE-RQ, strictly.

    Trailing spaces and NULs are dropped (PS3.5: trailing spaces are not
    significant); leading spaces are kept so that normal titles re-encode to
    the same bytes.

    Parameters
    ----------
    raw : bytes
        The 16-byte field.
    field : str
        Name of the field, for messages.
    reject : RejectCode
        The A-ASSOCIATE-RJ to answer with when the title is not valid.

    Returns
    -------
    str
        The title without trailing padding; may be empty.

    Raises
    ------
    InvalidPDUParameterValueError
        The title holds a control character, a backslash or a non-ASCII byte.
    """
    value = raw.rstrip(_PADDING)
    if _AE_FORBIDDEN.search(value) is not None:
        raise InvalidPDUParameterValueError(
            f"{field} AE title {raw!r} holds a character PS3.5 forbids",
            reject=reject,
        )
    if not value:
        # Accepted: some modalities send an all-space title, and PS3.8 leaves
        # recognising titles to the acceptor's policy, not to the codec.
        _LOGGER.warning("A-ASSOCIATE-RQ %s AE title is empty", field)
    return value.decode("ascii")


def decode_ae_title_lenient(raw: bytes) -> str:
    """Decode an AE title field of an A-ASSOCIATE-AC without testing it.

    PS3.8 9.3.3: the fields echo the request and are not tested on receipt.
    Latin-1 maps every byte to one character, so nothing can fail.

    Parameters
    ----------
    raw : bytes
        The 16-byte field.

    Returns
    -------
    str
        The title without trailing spaces or NULs.
    """
    return raw.rstrip(_PADDING).decode("latin-1")


def encode_ae_title(title: str, *, strict: bool) -> bytes:
    """Encode an AE title into its 16-byte field, padded with spaces.

    Parameters
    ----------
    title : str
        At most 16 characters.
    strict : bool
        Check the PS3.5 repertoire (A-ASSOCIATE-RQ); otherwise any Latin-1
        text is written, the inverse of :func:`decode_ae_title_lenient`.

    Returns
    -------
    bytes
        Exactly 16 bytes.

    Raises
    ------
    LocalProtocolError
        The title is too long or not encodable.
    """
    try:
        raw = title.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"AE title {title!r} is not encodable") from exc
    if len(raw) > AE_TITLE_LENGTH:
        raise LocalProtocolError(f"AE title {title!r} is longer than 16 bytes")
    if strict and _AE_FORBIDDEN.search(raw) is not None:
        raise LocalProtocolError(f"AE title {title!r} holds a forbidden character")
    return raw.ljust(AE_TITLE_LENGTH, b" ")


def decode_uid(raw: bytes, *, field: str) -> str:
    """Decode a UID field (application context, syntaxes, SOP classes...).

    Parameters
    ----------
    raw : bytes
        The field's bytes.
    field : str
        Name of the field, for messages.

    Returns
    -------
    str
        The UID without trailing padding.

    Raises
    ------
    InvalidPDUParameterValueError
        The UID is empty or not ASCII.
    """
    # Only bytes are looked up: a bytearray is not hashable.
    known = _DECODED_UIDS.get(raw) if type(raw) is bytes else None
    if known is not None:
        return known
    value = raw.rstrip(_PADDING)
    padded = len(value) != len(raw)
    if padded:
        # Tolerated: the NUL padding of data set UIDs (PS3.5 9.1) is a common
        # slip in PDU items; the padded and bare UIDs name the same thing.
        _LOGGER.warning("%s %r has trailing padding; ignored", field, raw)
    if not value:
        raise InvalidPDUParameterValueError(f"{field} is empty")
    if not value.isascii():
        raise InvalidPDUParameterValueError(f"{field} {raw!r} is not ASCII")
    if len(value) > UID_MAX_LENGTH:
        # Tolerated: longer than PS3.5 allows, but still comparable; refusing
        # it would only break associations with the device that sent it.
        _LOGGER.warning("%s %r is longer than 64 characters", field, value)
    elif not padded and type(raw) is bytes and len(_DECODED_UIDS) < _MAX_DECODED_UIDS:
        # Only plain ones: a padded or overlong UID is still warned of each time.
        _DECODED_UIDS[raw] = text = value.decode("ascii")
        return text
    return value.decode("ascii")


def decode_uid_lenient(raw: bytes) -> str:
    """Decode a UID field whose value is not significant (never fails).

    Used for the transfer syntax of a rejected presentation context
    (PS3.8 9.3.3.2), which the acceptor may leave empty or fill with anything.

    Parameters
    ----------
    raw : bytes
        The field's bytes.

    Returns
    -------
    str
        The text without trailing padding; may be empty.
    """
    return raw.rstrip(_PADDING).decode("latin-1")


def encode_uid(uid: str) -> bytes:
    """Encode a UID as ASCII, without padding (PS3.8 9.3.2.2.1).

    Parameters
    ----------
    uid : str
        The UID.

    Returns
    -------
    bytes
        The UID's bytes.

    Raises
    ------
    LocalProtocolError
        The UID holds non-ASCII characters.
    """
    try:
        return uid.encode("ascii")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"UID {uid!r} is not ASCII") from exc
