"""The Display System Management Service Class (PS3.4 Annex EE).

An SCU reads the characteristics of a display system (its displays,
calibration and QA results) by N-GET of the well-known Display System SOP
Instance (EE.3.1). :class:`DisplaySystemSCP` answers with attributes the
application keeps up to date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pydicom.dataset import Dataset
from pydicom.uid import UID

from dicomnet.services._n_common import (
    NO_SUCH_SOP_INSTANCE,
    failure,
    select_attributes,
)
from dicomnet.services.normalized import ServiceProvider
from dicomnet.sop_class import DisplaySystem

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DISPLAY_SYSTEM_INSTANCE", "DisplaySystemSCP"]

#: PS3.4 EE.3.1 (Table A.1 of PS3.6): the well-known Display System instance.
DISPLAY_SYSTEM_INSTANCE: Final = UID("1.2.840.10008.5.1.1.40.1")


class DisplaySystemSCP(ServiceProvider):
    """A Display System SCP answering N-GET (PS3.4 EE.3.1.1).

    Parameters
    ----------
    attributes : pydicom.dataset.Dataset or mapping, optional
        The display system's attributes (PS3.3 C.31.1), by keyword; the
        :attr:`attributes` Dataset may also be changed afterwards.
    """

    sop_classes = frozenset({DisplaySystem})

    def __init__(
        self, attributes: Dataset | Mapping[str, object] | None = None
    ) -> None:
        if isinstance(attributes, Dataset):
            self.attributes = attributes
        else:
            self.attributes = Dataset()
            for keyword, value in (attributes or {}).items():
                setattr(self.attributes, keyword, value)

    def n_get(self, event: Any) -> tuple[object, Dataset | None]:  # noqa: ANN401
        """Return the attributes asked for (PS3.7 10.1.2)."""
        if str(event.request.RequestedSOPInstanceUID) != DISPLAY_SYSTEM_INSTANCE:
            return failure(NO_SUCH_SOP_INSTANCE), None
        code, attrs, unknown = select_attributes(
            self.attributes, event.attribute_identifiers
        )
        return (failure(code, attributes=unknown) if unknown else code), attrs
