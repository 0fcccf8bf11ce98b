"""Tests for dicomnet.presentation.build_role."""

from __future__ import annotations

import pytest

from dicomnet.pdu_primitives import SCP_SCU_RoleSelectionNegotiation
from dicomnet.presentation import build_role
from dicomnet.ul.items import SCPSCURoleSelectionSubItem

CT = "1.2.840.10008.5.1.4.1.1.2"


def test_defaults_are_false():
    role = build_role(CT)
    assert isinstance(role, SCP_SCU_RoleSelectionNegotiation)
    assert (role.sop_class_uid, role.scu_role, role.scp_role) == (CT, False, False)
    # Neither role proposed: refused on encoding, as PS3.7 D.3.3.4 gives it no use.
    with pytest.raises(ValueError, match="both be unsupported"):
        role.to_item()


@pytest.mark.parametrize(("scu", "scp"), [(True, False), (False, True), (True, True)])
def test_proposal_item(scu, scp):
    role = build_role(CT.encode(), scu_role=scu, scp_role=scp)
    assert role.to_item() == SCPSCURoleSelectionSubItem(
        sop_class_uid=CT, scu_role=scu, scp_role=scp
    )


def test_positional_arguments():
    role = build_role(CT, True, True)
    assert (role.scu_role, role.scp_role) == (True, True)


@pytest.mark.parametrize(
    ("args", "error"),
    [((3,), TypeError), ((CT, 1), TypeError), (("",), ValueError)],
)
def test_invalid(args, error):
    with pytest.raises(error):
        build_role(*args)
