"""The Color Palette Query/Retrieve Service Class (PS3.4 Annex X).

Query and retrieval of Color Palette instances (PS3.3 A.58) kept by an SCP. The
information model has a single entity: C-FIND sends one Pending response per
matching instance (PS3.4 X.6.1.1), with the semantics of Basic Worklist
Management; C-GET and C-MOVE retrieve by SOP Instance UID (one or a list),
the only Unique Key, and the Identifier has no Query/Retrieve Level
(X.4.2, X.4.3).

:class:`ColorPaletteQRSCP` serves the instances that a
:class:`~dicomnet.services.non_patient_storage.NonPatientStorageSCP` (Annex GG)
received, or any collection; :func:`color_palette_query` builds an SCU Identifier.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from dicomnet.services._composite_qr import CompositeObjectQR, InformationModel
from dicomnet.services._find_rules import build_query, route
from dicomnet.sop_class import (
    ColorPaletteQueryRetrieveInformationModelFind,
    ColorPaletteQueryRetrieveInformationModelGet,
    ColorPaletteQueryRetrieveInformationModelMove,
    ColorPaletteStorage,
)

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = [
    "COLOR_PALETTE_MODEL",
    "QUERY_KEYS",
    "ColorPaletteQRSCP",
    "ColorPaletteQueryRetrieveInformationModelFind",
    "ColorPaletteQueryRetrieveInformationModelGet",
    "ColorPaletteQueryRetrieveInformationModelMove",
    "ColorPaletteStorage",
    "color_palette_query",
    "route",
]

#: The Color Palette Information Model (X.6.1).
COLOR_PALETTE_MODEL: Final = InformationModel(
    find=ColorPaletteQueryRetrieveInformationModelFind,
    get=ColorPaletteQueryRetrieveInformationModelGet,
    move=ColorPaletteQueryRetrieveInformationModelMove,
    storage=frozenset({ColorPaletteStorage}),
)

#: Keys of PS3.4 Table X.6-1 returned by :func:`color_palette_query`.
QUERY_KEYS: Final = (
    "SOPClassUID",
    "SOPInstanceUID",
    "ContentLabel",
)


class ColorPaletteQRSCP(CompositeObjectQR):
    """The SCP of the Color Palette Query/Retrieve SOP classes (PS3.4 X).

    Parameters
    ----------
    source : NonPatientStorageSCP, iterable or callable
        The stored instances.
    destinations : mapping, optional
        Move Destination AE title -> ``(address, port)``.
    """

    models = (COLOR_PALETTE_MODEL,)


def color_palette_query(**keys: object) -> Dataset:
    """Return a C-FIND Identifier: :data:`QUERY_KEYS` as return keys, then ``keys``.

    Parameters
    ----------
    **keys
        Matching keys by keyword.

    Returns
    -------
    pydicom.dataset.Dataset
    """
    return build_query(QUERY_KEYS, **keys)
