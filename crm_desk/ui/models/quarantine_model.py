"""Quarantined mail as a table: received, mailbox, sender and subject (when they can be read),
the reason, the size.

The loaders below run on the worker (through ``Op``) and return plain values. They read only
a bounded head of each message (``HEADER_PREVIEW_BYTES`` for the list, ``RAW_PREVIEW_BYTES``
for the detail pane): a quarantined message may be the 30 MB one that broke the size limit,
and the list must not pull every such message into memory. A message is in quarantine because
it could not be parsed, so reading its sender and subject is best effort: anything unreadable
is shown as empty, never as an error. Every string the model hands out is plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from enum import IntEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QLocale,
    Qt,
)
from PySide6.QtGui import QFont
from sqlalchemy import LargeBinary, func, select

from crm_desk.core import agents, quarantine
from crm_desk.errors import NotFoundError
from crm_desk.mail.charsets import decode_header_value
from crm_desk.store.db import Database
from crm_desk.store.models import Mailbox, Quarantine
from crm_desk.ui.formatting import format_datetime
from crm_desk.ui.models.flat_rows import RIGHT_ALIGNED, FlatRowsModel, ModelIndex, header_data
from crm_desk.ui.models.queue_model import plain_tooltip

HEADER_PREVIEW_BYTES = 64 * 1024
RAW_PREVIEW_BYTES = 256 * 1024
_MAX_HEADER_TEXT = 500

# The entry behind a row: ``index.data(QuarantineEntryRole)``.
QuarantineEntryRole = int(Qt.ItemDataRole.UserRole) + 1


@dataclass(frozen=True)
class QuarantineEntry:
    id: int
    received_at: datetime
    mailbox: str | None
    folder: str | None
    uid: int | None
    sender: str  # "" when it cannot be read
    subject: str
    reason: str
    size: int
    resolved_at: datetime | None


@dataclass(frozen=True)
class QuarantineDetail:
    id: int
    reason: str
    size: int
    sha256: str
    preview: str  # the first RAW_PREVIEW_BYTES of the raw message, as text
    truncated: bool


@dataclass(frozen=True)
class RetryResult:
    entry_id: int
    ticket_id: int | None
    still_quarantined: bool
    reason: str | None


def _header_text(value: str | None) -> str:
    if not value:
        return ""
    try:
        text = decode_header_value(value).text
    except Exception:  # a broken header shows as empty, as promised above
        return ""
    return " ".join(text.split())[:_MAX_HEADER_TEXT]


def sender_and_subject(head: bytes) -> tuple[str, str]:
    """From and Subject of a raw message head, decoded; empty strings where unreadable."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = head.find(separator)
        if end >= 0:
            head = head[:end]
            break
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(head)
        return _header_text(headers.get("From")), _header_text(headers.get("Subject"))
    except Exception:  # the message is in quarantine for being broken
        return "", ""


def load_entries(db: Database, *, include_resolved: bool = False) -> list[QuarantineEntry]:
    """Runs on the worker: the entries, newest first, each with only its head read."""
    head = func.substr(Quarantine.raw, 1, HEADER_PREVIEW_BYTES, type_=LargeBinary)
    query = (
        select(
            Quarantine.id,
            Quarantine.created_at,
            Mailbox.name,
            Quarantine.folder,
            Quarantine.uid,
            Quarantine.reason,
            func.length(Quarantine.raw),
            head,
            Quarantine.resolved_at,
        )
        .outerjoin(Mailbox, Mailbox.id == Quarantine.mailbox_id)
        .order_by(Quarantine.id.desc())
    )
    if not include_resolved:
        query = query.where(Quarantine.resolved_at.is_(None))
    with db.read() as session:
        rows = session.execute(query).all()
    entries = []
    for entry_id, received, mailbox, folder, uid, reason, size, raw_head, resolved in rows:
        sender, subject = sender_and_subject(bytes(raw_head or b""))
        entries.append(
            QuarantineEntry(
                entry_id,
                received,
                mailbox,
                folder,
                uid,
                sender,
                subject,
                reason,
                int(size),
                resolved,
            )
        )
    return entries


def _as_text(raw: bytes) -> str:
    # Raw mail is mostly ASCII; whatever is not UTF-8 shows as replacement characters. NUL
    # would end the text in some widgets.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def load_detail(db: Database, entry_id: int) -> QuarantineDetail:
    """Runs on the worker: the reason and the head of the raw message, bounded."""
    head = func.substr(Quarantine.raw, 1, RAW_PREVIEW_BYTES, type_=LargeBinary)
    with db.read() as session:
        found = session.execute(
            select(
                Quarantine.reason, func.length(Quarantine.raw), Quarantine.raw_sha256, head
            ).where(Quarantine.id == entry_id)
        ).first()
    if found is None:
        raise NotFoundError(f"no quarantine entry {entry_id}")
    reason, size, sha256, raw_head = found
    size = int(size)
    return QuarantineDetail(
        entry_id, reason, size, sha256, _as_text(bytes(raw_head or b"")), size > RAW_PREVIEW_BYTES
    )


def retry_entry(db: Database, actor_id: int | None, entry_id: int) -> RetryResult:
    """Runs on the worker: parse the kept bytes again (``core.quarantine.retry``)."""
    with db.write() as session:
        actor = agents.by_id(session, actor_id) if actor_id is not None else None
        outcome = quarantine.retry(session, actor, entry_id)
        return RetryResult(entry_id, outcome.ticket_id, outcome.quarantined, outcome.reason)


def save_raw(db: Database, entry_id: int, path: Path) -> int:
    """Runs on the worker: write the message exactly as kept; the number of bytes."""
    with db.read() as session:
        raw = bytes(quarantine.get_entry(session, entry_id).raw)
    path.write_bytes(raw)
    return len(raw)


class Column(IntEnum):
    RECEIVED = 0
    MAILBOX = 1
    FROM = 2
    SUBJECT = 3
    REASON = 4
    SIZE = 5


def _tr(text: str) -> str:
    return QCoreApplication.translate("QuarantineModel", text)


def column_title(column: Column) -> str:
    titles = {
        Column.RECEIVED: _tr("Received"),
        Column.MAILBOX: _tr("Mailbox"),
        Column.FROM: _tr("From"),
        Column.SUBJECT: _tr("Subject"),
        Column.REASON: _tr("Reason"),
        Column.SIZE: _tr("Size"),
    }
    return titles[column]


def mailbox_text(entry: QuarantineEntry) -> str:
    if entry.mailbox is None:
        return ""
    return f"{entry.mailbox} / {entry.folder}" if entry.folder else entry.mailbox


def display_text(entry: QuarantineEntry, column: Column) -> str:
    match column:
        case Column.RECEIVED:
            return format_datetime(entry.received_at)
        case Column.MAILBOX:
            return mailbox_text(entry)
        case Column.FROM:
            return entry.sender
        case Column.SUBJECT:
            return entry.subject
        case Column.REASON:
            return entry.reason
        case Column.SIZE:
            return QLocale().formattedDataSize(entry.size, 1)


class QuarantineModel(FlatRowsModel[QuarantineEntry]):
    column_count = len(Column)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        entry = self._rows[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return display_text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (Column.FROM, Column.SUBJECT, Column.REASON):
                return plain_tooltip(display_text(entry, column))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == Column.SIZE:
            return RIGHT_ALIGNED
        if role == Qt.ItemDataRole.FontRole and entry.resolved_at is not None:
            font = QFont()
            font.setItalic(True)  # retried successfully, kept on record
            return font
        if role == QuarantineEntryRole:
            return entry
        return None

    def headerData(  # Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        titles = [column_title(column) for column in Column]
        return header_data(titles, section, orientation, role, (Column.SIZE,))

    def entry_at(self, row: int) -> QuarantineEntry:
        return self._rows[row]

    def row_of(self, entry_id: int) -> int:
        return next((n for n, e in enumerate(self._rows) if e.id == entry_id), -1)

    def set_entries(self, entries: list[QuarantineEntry]) -> None:
        """New entries; the same ones in the same order update in place (selection kept)."""
        if [e.id for e in entries] == [e.id for e in self._rows]:
            changed = [
                n for n, (a, b) in enumerate(zip(self._rows, entries, strict=True)) if a != b
            ]
            self._rows = list(entries)
            if changed:
                self.dataChanged.emit(
                    self.index(min(changed), 0), self.index(max(changed), len(Column) - 1)
                )
            return
        self.beginResetModel()
        self._rows = list(entries)
        self.endResetModel()
