"""Why a message joined its ticket, in the reader's language.

``core.threading`` records the reason in English, in a few fixed shapes (the database keeps
one language); this turns each piece back into a translated sentence. A piece in no known
shape (an older or newer version wrote it) is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication


def _tr(text: str) -> str:
    return QCoreApplication.translate("ThreadReason", text)


_MERGED = re.compile(r"^(.*) \(ticket #(\d+) was merged into #(\d+)\)$")
_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^new conversation$"), lambda m: _tr("a new conversation")),
    (re.compile(r"^In-Reply-To (.+)$"), lambda m: _tr("it answers {}").format(m[1])),
    (re.compile(r"^References (.+)$"), lambda m: _tr("it refers to {}").format(m[1])),
    (
        re.compile(r"^subject token (.+)$"),
        lambda m: _tr("its subject names the ticket {}").format(m[1]),
    ),
    (
        re.compile(r"^auto-reply, status left as it is$"),
        lambda m: _tr("an automatic reply: the status was left as it was"),
    ),
    (re.compile(r"^reopened$"), lambda m: _tr("the ticket was reopened")),
    (
        re.compile(r"^#(\d+) was closed over (\d+) days ago: new linked ticket$"),
        lambda m: _tr("#{} was closed more than {} days ago: a new ticket linked to it").format(
            m[1], m[2]
        ),
    ),
    (re.compile(r"^web form sent by (.+)$"), lambda m: _tr("a web form sent by {}").format(m[1])),
]


def _piece(text: str) -> str:
    merged = _MERGED.match(text)
    if merged:
        note = _tr("ticket #{} was merged into #{}").format(merged[2], merged[3])
        return f"{_piece(merged[1])} ({note})"
    for pattern, render in _PATTERNS:
        match = pattern.match(text)
        if match:
            return render(match)
    return text


def describe_reason(reason: str) -> str:
    """A stored thread reason ("In-Reply-To <a@b>; reopened") for the reader."""
    return _tr("; ").join(_piece(part.strip()) for part in reason.split("; ") if part.strip())
