"""Hypothesis strategies for DIMSE command sets and primitives."""

from __future__ import annotations

import inspect
from io import BytesIO

from hypothesis import strategies as st

from dicomnet.dimse import primitives as prim
from dicomnet.dimse.primitives import _layout

UIDS = st.lists(st.integers(1, 999999), max_size=7).map(
    lambda parts: ".".join(["1", "2", *map(str, parts)])
)
AE_TITLES = st.text("ABCXYZ019_ ", min_size=1, max_size=16).map(str.strip).filter(bool)
COMMENTS = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=64
).filter(lambda text: text == text.strip(" ") and text)
US = st.integers(0, 0xFFFF)
TAGS = st.lists(st.integers(0, 0xFFFFFFFF), min_size=1, max_size=4)

_BY_FIELD = {
    prim._US: US,
    prim._Priority: st.integers(0, 2),
    prim._UID: UIDS,
    prim._AE: AE_TITLES,
    prim._Comment: COMMENTS,
    prim._Tags: TAGS,
}

ALL_PRIMITIVES = (
    prim.C_ECHO,
    prim.C_STORE,
    prim.C_FIND,
    prim.C_GET,
    prim.C_MOVE,
    prim.C_CANCEL,
    prim.N_EVENT_REPORT,
    prim.N_GET,
    prim.N_SET,
    prim.N_ACTION,
    prim.N_CREATE,
    prim.N_DELETE,
)
# (class, response) for every message PS3.7 defines.
MESSAGES = [(cls, False) for cls in ALL_PRIMITIVES] + [
    (cls, True) for cls in ALL_PRIMITIVES if cls is not prim.C_CANCEL
]


def field_strategy(cls, name):
    return _BY_FIELD[type(inspect.getattr_static(cls, name))]


@st.composite
def primitives(draw, cls, response):
    """A primitive of ``cls`` valid as a request or response, with optional fields."""
    names, data_name, mandatory = _layout(cls, response=response)
    primitive = cls()
    values = {}
    for name in names:
        if name in mandatory or draw(st.booleans()):
            values[name] = draw(field_strategy(cls, name))
            setattr(primitive, name, values[name])
    if data_name is not None and (data_name in mandatory or draw(st.booleans())):
        values[data_name] = draw(st.binary(max_size=300))
        setattr(primitive, data_name, BytesIO(values[data_name]))
    return primitive, values
