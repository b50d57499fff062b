"""Guard against a binding bug that would crash the app mid-session.

PySide6 6.12.0 on CPython 3.11 drops one reference to ``True`` on every ``Signal.emit()`` and
one to ``None`` on every void method call. On 3.12+ those objects are immortal and nothing
happens; on 3.11 the count reaches zero after some thousands of emits and the interpreter
aborts ("Fatal Python error: bool_dealloc"). PySide6 6.11 does not have the bug; pyproject.toml
pins below 6.12.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

CALLS = 200


class _Emitter(QObject):
    changed = Signal(int)


def test_emit_and_void_calls_keep_reference_counts() -> None:
    emitter = _Emitter()
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for n in range(CALLS):
        emitter.changed.emit(n)
        emitter.setObjectName("emitter")
    true_drift = sys.getrefcount(True) - true_before
    none_drift = sys.getrefcount(None) - none_before
    _give_back(True, true_drift)
    _give_back(None, none_drift)
    # A little slack for unrelated allocations; the bug moves each by exactly -CALLS.
    assert abs(true_drift) < CALLS // 4, true_drift
    assert abs(none_drift) < CALLS // 4, none_drift


def _give_back(obj: object, drift: int) -> None:
    """Undo what the bug took, so this test does not itself abort the test process later."""
    for _ in range(max(0, -drift)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
