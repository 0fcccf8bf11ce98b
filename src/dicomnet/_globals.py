"""Module-level constants of the pynetdicom-compatible API.

The transfer syntax lists are plain, mutable lists of ``str``: pynetdicom users
append to them, so they stay lists (not tuples) and keep pynetdicom's order.
The first entry of a list is the one a requestor prefers, because an acceptor
picks the first proposed transfer syntax it supports (PS3.8 9.3.2.2).
"""

from __future__ import annotations

from typing import Final

from dicomnet.ul.items import DICOM_APPLICATION_CONTEXT_NAME

#: Implicit VR Little Endian, Explicit VR Little Endian, Deflated Explicit VR
#: Little Endian and Explicit VR Big Endian (PS3.5 Annex A), in that order.
DEFAULT_TRANSFER_SYNTAXES: list[str] = [
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.1.99",
    "1.2.840.10008.1.2.2",
]

#: The defaults, then the encapsulated transfer syntaxes of PS3.5 Annex A.4
#: and the SMPTE ST 2110 ones (A.8), in the order pynetdicom lists them.
ALL_TRANSFER_SYNTAXES: list[str] = [
    *DEFAULT_TRANSFER_SYNTAXES,
    # JPEG Baseline, Extended, Lossless P14, Lossless SV1 (A.4.1)
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
    # JPEG-LS lossless and near-lossless (A.4.3)
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.81",
    # JPEG 2000 and JPEG 2000 Part 2 (A.4.4)
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.92",
    "1.2.840.10008.1.2.4.93",
    # JPIP referenced (A.6)
    "1.2.840.10008.1.2.4.94",
    "1.2.840.10008.1.2.4.95",
    # MPEG2 (A.4.5)
    "1.2.840.10008.1.2.4.100",
    "1.2.840.10008.1.2.4.100.1",
    "1.2.840.10008.1.2.4.101",
    "1.2.840.10008.1.2.4.101.1",
    # MPEG-4 AVC/H.264 (A.4.6)
    "1.2.840.10008.1.2.4.102",
    "1.2.840.10008.1.2.4.102.1",
    "1.2.840.10008.1.2.4.103",
    "1.2.840.10008.1.2.4.103.1",
    "1.2.840.10008.1.2.4.104",
    "1.2.840.10008.1.2.4.104.1",
    "1.2.840.10008.1.2.4.105",
    "1.2.840.10008.1.2.4.105.1",
    "1.2.840.10008.1.2.4.106",
    "1.2.840.10008.1.2.4.106.1",
    # HEVC/H.265 (A.4.7)
    "1.2.840.10008.1.2.4.107",
    "1.2.840.10008.1.2.4.108",
    # JPEG XL (A.4.12)
    "1.2.840.10008.1.2.4.110",
    "1.2.840.10008.1.2.4.111",
    "1.2.840.10008.1.2.4.112",
    # High-Throughput JPEG 2000 (A.4.11)
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
    "1.2.840.10008.1.2.4.204",
    "1.2.840.10008.1.2.4.205",
    # RLE Lossless (A.4.2)
    "1.2.840.10008.1.2.5",
    # SMPTE ST 2110-20/-30 (A.8)
    "1.2.840.10008.1.2.7.1",
    "1.2.840.10008.1.2.7.2",
    "1.2.840.10008.1.2.7.3",
    # Deflated Image Frame Compression (A.4.13)
    "1.2.840.10008.1.2.8.1",
]

#: Default Maximum Length Received (PS3.8 D.1): what pynetdicom advertises.
DEFAULT_MAX_LENGTH: Final = 16382

#: PS3.7 Annex A.2.1: the DICOM application context name.
APPLICATION_CONTEXT_NAME: Final = DICOM_APPLICATION_CONTEXT_NAME

MODE_ACCEPTOR: Final = "acceptor"
MODE_REQUESTOR: Final = "requestor"

STATUS_SUCCESS: Final = "Success"
STATUS_FAILURE: Final = "Failure"
STATUS_WARNING: Final = "Warning"
STATUS_CANCEL: Final = "Cancel"
STATUS_PENDING: Final = "Pending"
STATUS_UNKNOWN: Final = "Unknown"
