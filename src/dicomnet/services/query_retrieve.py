"""The Query/Retrieve Service Class (PS3.4 Annex C): C-FIND, C-GET, C-MOVE, C-CANCEL.

SCU: :func:`send_c_find`, :func:`send_c_get` and :func:`send_c_move` check
and send the request at once, then return a generator of ``(status,
identifier)`` pairs, one per response; :func:`send_c_cancel` asks the peer to
stop one of them (PS3.7 9.3.2.3, 9.3.3.3, 9.3.4.3). The same functions serve
the other C-FIND/C-GET/C-MOVE services built on this class (Modality
Worklist, Hanging Protocol, Color Palette ... query/retrieve).

SCP: :func:`answer_c_find`, :func:`answer_c_get` and :func:`answer_c_move`
run the ``evt.EVT_C_FIND``/``EVT_C_GET``/``EVT_C_MOVE`` handler (a
generator) and turn its yields into responses and C-STORE sub-operations:
C-GET's over the same association (the requestor proposed the SCP role for
the storage SOP classes, PS3.7 D.3.3.4), C-MOVE's over a new association
with the Move Destination. A C-CANCEL ends the operation with status Cancel
(0xFE00); the handler sees it in ``event.is_cancelled``.
"""

from __future__ import annotations

from dicomnet.services._qr_retrieve import answer_c_get, answer_c_move
from dicomnet.services._qr_scp import answer_c_find
from dicomnet.services._qr_scu import (
    send_c_cancel,
    send_c_find,
    send_c_get,
    send_c_move,
)

__all__ = [
    "answer_c_find",
    "answer_c_get",
    "answer_c_move",
    "send_c_cancel",
    "send_c_find",
    "send_c_get",
    "send_c_move",
]
