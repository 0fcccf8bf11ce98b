"""Display System Management (PS3.4 Annex EE) between dicomnet AEs."""

from __future__ import annotations

from pydicom.dataset import Dataset

from dicomnet.services import display_system as ds_
from dicomnet.sop_class import DisplaySystem
from tests.services.test_normalized import Pair


def test_the_display_system_is_read() -> None:
    peers = Pair()
    scp = ds_.DisplaySystemSCP({"Manufacturer": "ACME", "DeviceSerialNumber": "42"})
    try:
        peers.serve(scp.handlers(), DisplaySystem)
        assoc = peers.associate(DisplaySystem)
        everything, attrs = assoc.send_n_get(
            None, DisplaySystem, ds_.DISPLAY_SYSTEM_INSTANCE
        )
        some, part = assoc.send_n_get(
            [0x00080070, 0x00091010], DisplaySystem, ds_.DISPLAY_SYSTEM_INSTANCE
        )
        wrong, none = assoc.send_n_get(None, DisplaySystem, "1.2.3.4")
        refused, _ = assoc.send_n_set(
            _changes(),
            DisplaySystem,
            ds_.DISPLAY_SYSTEM_INSTANCE,
        )
        assoc.release()
    finally:
        peers.close()

    assert everything.Status == 0x0000
    assert attrs is not None
    assert (attrs.Manufacturer, attrs.DeviceSerialNumber) == ("ACME", "42")
    assert some.Status == 0x0107  # a private tag it does not have
    assert part is not None
    assert part.Manufacturer == "ACME"
    assert (wrong.Status, none) == (0x0112, None)
    assert refused.Status == 0x0211  # PS3.4 EE: N-GET only


def _changes() -> Dataset:
    ds = Dataset()
    ds.Manufacturer = "OTHER"
    return ds
