"""The data model: every table crm-desk keeps, typed with SQLAlchemy 2 ``Mapped[]``.

The schema is owned by the Alembic migrations in ``store/migrations``; these classes must match
them (``tests/store/test_migrations.py`` compares the two). Enumerations are stored as short
strings with CHECK constraints rather than native PostgreSQL enums, so that adding a value is an
ordinary migration on both engines.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names keep migrations portable and reviewable on both engines.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only aliases the rowid (and so auto-increments) for a column declared exactly INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the engine stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite keeps text: store naive UTC so that string comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(enum.StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


class TicketStatus(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


# Sort key so that "priority descending" is meaningful in SQL without a CASE expression.
PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Channel(enum.StrEnum):
    MAIL = "mail"
    FORM = "form"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"
    NOTE = "note"


class Lifecycle(enum.StrEnum):
    CONTACT = "contact"
    LEAD = "lead"
    PROSPECT = "prospect"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"


class Qualification(enum.StrEnum):
    NONE = "none"
    MQL = "mql"  # marketing-qualified lead
    SQL = "sql"  # sales-qualified lead


class DealStage(enum.StrEnum):
    LEAD_GENERATION = "lead_generation"
    QUALIFICATION = "qualification"
    FIRST_CONTACT = "first_contact"
    PROPOSAL = "proposal"
    NEGOTIATION = "negotiation"
    WON = "won"
    LOST = "lost"


class OrderStatus(enum.StrEnum):
    PLACED = "placed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class Activity(enum.StrEnum):
    VIEWING = "viewing"
    REPLYING = "replying"


class OutboxState(enum.StrEnum):
    QUEUED = "queued"
    AWAITING_APPROVAL = "awaiting_approval"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"  # handed to SMTP but no answer seen: never resent blindly


def _check_in(column: str, values: type[enum.StrEnum], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (_check_in("role", Role, "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mailbox(Base):
    """A shared address. Passwords and tokens live in the keyring, keyed by the mailbox name."""

    __tablename__ = "mailboxes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    address: Mapped[str] = mapped_column(String(320))
    imap_host: Mapped[str | None] = mapped_column(String(255))
    imap_port: Mapped[int | None] = mapped_column(Integer)
    imap_tls: Mapped[str] = mapped_column(String(16), default="ssl")
    username: Mapped[str | None] = mapped_column(String(320))
    auth: Mapped[str] = mapped_column(String(16), default="password")  # password | xoauth2
    folders: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["INBOX"])
    after_import: Mapped[str] = mapped_column(String(120), default="none")
    smtp_host: Mapped[str | None] = mapped_column(String(255))
    smtp_port: Mapped[int | None] = mapped_column(Integer)
    smtp_tls: Mapped[str | None] = mapped_column(String(16))
    outgoing_charset: Mapped[str] = mapped_column(String(32), default="utf-8")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Template(Base):
    __tablename__ = "templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="ja")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    subject: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        _check_in("lifecycle", Lifecycle, "lifecycle"),
        _check_in("qualification", Qualification, "qualification"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    name_kana: Mapped[str | None] = mapped_column(String(300))
    # Stored lower-cased: addresses are matched case-insensitively on both engines.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    lifecycle: Mapped[str] = mapped_column(String(16), default=Lifecycle.CONTACT)
    qualification: Mapped[str] = mapped_column(String(8), default=Qualification.NONE)
    points: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    company: Mapped[Company | None] = relationship()
    updated_by: Mapped[Agent | None] = relationship()


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (_check_in("stage", DealStage, "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    stage: Mapped[str] = mapped_column(String(24), default=DealStage.LEAD_GENERATION)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    expected_close: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        _check_in("status", OrderStatus, "status"),
        Index("ix_orders_contact_ordered", "contact_id", "ordered_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    ordered_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.PLACED)
    currency: Mapped[str] = mapped_column(String(3), default="JPY")
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    points_earned: Mapped[int] = mapped_column(Integer, default=0)
    points_used: Mapped[int] = mapped_column(Integer, default=0)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan"
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 2))

    order: Mapped[Order] = relationship(back_populates="items")


class Ticket(Base):
    """A conversation with one customer. ``id`` is the human ticket number shown as ``#id``."""

    __tablename__ = "tickets"
    __table_args__ = (
        _check_in("status", TicketStatus, "status"),
        _check_in("priority", Priority, "priority"),
        _check_in("channel", Channel, "channel"),
        # The queue's sorts and filters: newest activity first within a status (and category).
        Index("ix_tickets_status_updated", "status", "updated_at", "id"),
        Index("ix_tickets_status_category_updated", "status", "category_id", "updated_at", "id"),
        Index("ix_tickets_assignee_status_updated", "assignee_id", "status", "updated_at", "id"),
        Index("ix_tickets_updated", "updated_at", "id"),
        Index("ix_tickets_contact_created", "contact_id", "created_at"),
        Index("ix_tickets_mailbox_status", "mailbox_id", "status"),
        Index("ix_tickets_status_due", "status", "due_at"),
        # The sidebar's counts: every grouped column in one index, so they read no table row.
        Index("ix_tickets_view_counts", "status", "assignee_id", "category_id", "mailbox_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(998), default="")
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.NEW)
    priority: Mapped[str] = mapped_column(String(16), default=Priority.NORMAL)
    priority_rank: Mapped[int] = mapped_column(Integer, default=1)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"))
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id"))
    channel: Mapped[str] = mapped_column(String(8), default=Channel.MAIL)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # A customer wrote again about a ticket closed long ago: the new ticket links to the old one.
    follows_up_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    first_response_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Every ORM UPDATE of a ticket carries "WHERE version = <read version>": a compare-and-set.
    __mapper_args__ = {"version_id_col": version}

    @property
    def number(self) -> int:
        return self.id

    assignee: Mapped[Agent | None] = relationship(foreign_keys=[assignee_id])
    updated_by: Mapped[Agent | None] = relationship(foreign_keys=[updated_by_id])
    contact: Mapped[Contact | None] = relationship()
    category: Mapped[Category | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", order_by="Message.id", foreign_keys="Message.ticket_id"
    )


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        _check_in("direction", Direction, "direction"),
        # The exactly-once key for ingested mail. NULLs (notes, replies, form posts) never clash.
        UniqueConstraint("mailbox_id", "folder", "uidvalidity", "uid", name="uq_messages_imap_key"),
        Index("ix_messages_ticket", "ticket_id", "id"),
        Index("ix_messages_message_id", "message_id_header"),
        # After a UIDVALIDITY reset a folder is fetched again; known bytes are recognised here.
        Index("ix_messages_mailbox_sha256", "mailbox_id", "raw_sha256"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    direction: Mapped[str] = mapped_column(String(8))
    author_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    from_address: Mapped[str | None] = mapped_column(String(998))
    to_addresses: Mapped[str | None] = mapped_column(Text)
    cc_addresses: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(998))
    message_id_header: Mapped[str | None] = mapped_column(String(998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[str | None] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)  # sanitized only, never the original
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    charset_note: Mapped[str | None] = mapped_column(String(200))
    thread_reason: Mapped[str | None] = mapped_column(String(200))
    is_auto_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id"))
    folder: Mapped[str | None] = mapped_column(String(500))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages", foreign_keys=[ticket_id])
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message")


class Blob(Base):
    """Attachment content, stored once per distinct sha256."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    display_name: Mapped[str] = mapped_column(String(500))  # as the sender named it: text only
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    content_id: Mapped[str | None] = mapped_column(String(500))
    inline: Mapped[bool] = mapped_column(Boolean, default=False)

    message: Mapped[Message] = relationship(back_populates="attachments")


class Event(Base):
    """The audit trail: who did what to which ticket, when."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Change(Base):
    """The change feed: every write appends rows; desktops poll ``seq > last_seen``."""

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    entity: Mapped[str] = mapped_column(String(24))  # ticket | contact | agent | mailbox | ...
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(40))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))


class Presence(Base):
    """Who is looking at (or replying to) which ticket; rows older than a few seconds are stale."""

    __tablename__ = "presence"
    __table_args__ = (
        _check_in("activity", Activity, "activity"),
        Index("ix_presence_ticket", "ticket_id"),
    )

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    activity: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketRead(Base):
    """When an agent last looked at a ticket; newer activity by someone else shows it as unread.

    Private to the agent: written without an audit event or a change-feed row. The primary key
    (agent, ticket) is the one index the queue's LEFT JOIN needs.
    """

    __tablename__ = "ticket_reads"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncState(Base):
    """Per mailbox and folder: which UIDVALIDITY we trust and the highest UID imported."""

    __tablename__ = "sync_state"
    __table_args__ = (UniqueConstraint("mailbox_id", "folder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox_id: Mapped[int] = mapped_column(ForeignKey("mailboxes.id"))
    folder: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    highest_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_sync_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set when a person accepted a UIDVALIDITY change: the refetch skips bytes we already hold.
    dedupe_by_hash: Mapped[bool] = mapped_column(Boolean, default=False)


class Quarantine(Base):
    """A message that could not be parsed within limits: kept with its raw bytes and the reason."""

    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint(
            "mailbox_id", "folder", "uidvalidity", "uid", name="uq_quarantine_imap_key"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id"))
    folder: Mapped[str | None] = mapped_column(String(500))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()


class Outbox(Base):
    """A reply on its way out. Recipients and Message-ID are frozen when it is queued."""

    __tablename__ = "outbox"
    __table_args__ = (
        _check_in("state", OutboxState, "state"),
        Index("ix_outbox_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id"))
    author_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    state: Mapped[str] = mapped_column(String(24), default=OutboxState.QUEUED)
    message_id_header: Mapped[str] = mapped_column(String(998))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class TeamSetting(Base):
    """Settings the whole team shares (threading rules, …), as opposed to a desktop's own."""

    __tablename__ = "team_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchDoc(Base):
    """One searchable document per ticket (subject + message text) and per contact.

    ``body`` holds the text already cut into tokens by ``core.search.tokenize`` (CJK bigrams,
    lower-cased words), so both engines index exactly the same terms: SQLite through an FTS5
    external-content table kept in step by triggers, PostgreSQL through a generated ``tsvector``
    column with a GIN index. Both are created by migration 0002 and are invisible to the ORM.
    """

    __tablename__ = "search_docs"
    __table_args__ = (
        UniqueConstraint("ticket_id"),
        UniqueConstraint("contact_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    body: Mapped[str] = mapped_column(Text, default="")
