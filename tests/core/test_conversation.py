"""The conversation as the ticket pane reads it: order, limits, sanitizing again, cid images,
remote images blocked unless allowed, attachments; on both engines.

The mail helpers here are also used by the UI tests of the conversation view.
"""

from __future__ import annotations

import base64
import struct
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from crm_desk.core import conversation, ingest, tickets
from crm_desk.errors import NotFoundError
from crm_desk.mail.parse import parse_message
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Attachment, Direction, Message
from tests.support.factories import Team, make_team

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TRACKER = "https://tracker.example.net/open.png?id=42"
LOGO_CID = "logo.1@example.jp"
PDF = b"%PDF-1.4\n% invoice\n" + bytes(range(256)) * 4

# JIS X 0208 codes of characters Python's iso2022_jp codec refuses but every Windows sender
# writes (NEC special characters and NEC-selected IBM extensions), from the JIS code tables.
_NEC = {"①": 0x2D21, "㈱": 0x2D6A, "髙": 0x7C62}


def iso2022jp(text: str) -> bytes:
    """``text`` as ISO-2022-JP the way Windows mailers write it (with NEC extensions)."""
    out = bytearray()
    run = ""
    for char in text + "\0":
        if char in _NEC or char == "\0":
            out += run.encode("iso2022_jp")
            run = ""
            if char in _NEC:
                out += b"\x1b$B" + _NEC[char].to_bytes(2, "big") + b"\x1b(B"
        else:
            run += char
    return bytes(out)


def encoded_word(text: str) -> str:
    return f"=?ISO-2022-JP?B?{base64.b64encode(iso2022jp(text)).decode('ascii')}?="


def tiny_png(width: int = 3, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid PNG without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


JAPANESE_HTML = (
    "<html><body><p>山田様</p>"
    "<p>ご注文①の請求書を添付いたします。㈱髙橋商事</p>"
    f'<p><img src="cid:{LOGO_CID}" alt="logo"><img src="{TRACKER}" alt=""></p>'
    '<p><a href="https://shop.example.jp/orders">注文履歴</a></p>'
    "</body></html>"
)


def japanese_html_mail(
    *,
    message_id: str = "<jp-html-1@example.jp>",
    sender: str = "taro@example.jp",
    html: str = JAPANESE_HTML,
) -> bytes:
    """ISO-2022-JP multipart/alternative (text + HTML with a cid logo and a remote tracker
    image) in multipart/related, plus a PDF with a Japanese file name."""
    text = "山田様\r\nご注文①の請求書を添付いたします。㈱髙橋商事\r\n"
    png = base64.encodebytes(tiny_png()).decode("ascii")
    pdf = base64.encodebytes(PDF).decode("ascii")
    filename = "%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf"  # 請求書.pdf, RFC 2231
    head = (
        f"From: {encoded_word('山田 太郎')} <{sender}>\r\n"
        "To: support@example.com\r\n"
        f"Subject: {encoded_word('請求書の送付（注文①）')}\r\n"
        "Date: Mon, 02 Mar 2026 18:30:00 +0900\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="mixed"\r\n\r\n'
    )
    parts = [
        b'--mixed\r\nContent-Type: multipart/related; boundary="related"\r\n\r\n',
        b'--related\r\nContent-Type: multipart/alternative; boundary="alt"\r\n\r\n',
        b"--alt\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n" + iso2022jp(text) + b"\r\n",
        b"--alt\r\nContent-Type: text/html; charset=ISO-2022-JP\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n" + iso2022jp(html) + b"\r\n",
        b"--alt--\r\n",
        b"--related\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        + f"Content-ID: <{LOGO_CID}>\r\nContent-Disposition: inline\r\n\r\n{png}".encode(),
        b"--related--\r\n",
        b"--mixed\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        + f"Content-Disposition: attachment; filename*=UTF-8''{filename}\r\n\r\n{pdf}".encode(),
        b"--mixed--\r\n",
    ]
    return head.encode("ascii") + b"".join(parts)


def file_raw(db: Database, raw: bytes, at: datetime = T0) -> int:
    """Ingest ``raw`` the way sync does; returns the ticket id."""
    with db.write() as session:
        outcome = ingest.ingest_mail(
            session, None, raw, parse_message(raw), mailbox_id=None, received_at=at
        )
    assert outcome.ticket_id is not None
    return outcome.ticket_id


def add_message(db: Database, ticket_id: int, direction: str, **values: object) -> int:
    """A message row written directly, as a damaged or hostile database could hold it."""
    with db.write() as session:
        message = Message(
            ticket_id=ticket_id,
            direction=direction,
            body_text=values.pop("body_text", ""),
            created_at=values.pop("created_at", T0),
            **values,
        )
        session.add(message)
        session.flush()
        return message.id


def load(db: Database, ticket_id: int, **options: object) -> conversation.Conversation:
    with db.read() as session:
        return conversation.load_conversation(session, ticket_id, **options)  # type: ignore[arg-type]


@pytest.fixture
def team(db: Database) -> Team:
    return make_team(db)


def test_japanese_html_mail_with_inline_logo_and_attachment(db: Database, team: Team) -> None:
    ticket_id = file_raw(db, japanese_html_mail())
    loaded = load(db, ticket_id)
    assert loaded.subject == "請求書の送付（注文①）" and loaded.status == "new"
    assert loaded.earlier_count == 0
    (message,) = loaded.messages
    assert message.direction == Direction.IN
    assert message.sender_email == "taro@example.jp"
    assert message.from_address == "山田 太郎 <taro@example.jp>"
    assert message.thread_reason == "new conversation"
    assert message.body_html is not None
    assert "ご注文①の請求書を添付いたします。㈱髙橋商事" in message.body_html
    assert f'src="cid:{LOGO_CID}"' in message.body_html
    assert "tracker.example.net" not in message.body_html  # blocked ...
    assert message.remote_images == (TRACKER,)  # ... and offered for loading
    assert not message.remote_allowed
    assert message.inline_images == {LOGO_CID: tiny_png()}
    assert message.headers is not None and "Message-ID: <jp-html-1@example.jp>" in message.headers
    by_name = {a.display_name: a for a in message.attachments}
    assert by_name["請求書.pdf"].size == len(PDF) and not by_name["請求書.pdf"].inline
    assert by_name["請求書.pdf"].content_type == "application/pdf"
    # The logo shows in the body, so the attachment row lists the PDF only.
    assert [a.display_name for a in message.shown_attachments] == ["請求書.pdf"]
    with db.read() as session:
        assert conversation.attachment_bytes(session, by_name["請求書.pdf"].id) == PDF


def test_remote_images_only_where_allowed(db: Database, team: Team) -> None:
    ticket_id = file_raw(db, japanese_html_mail())
    (message,) = load(db, ticket_id).messages
    for options in (
        {"remote_messages": {message.id}},
        {"remote_senders": {"Taro@Example.JP".lower()}},
    ):
        (allowed,) = load(db, ticket_id, **options).messages
        assert allowed.remote_allowed and allowed.remote_images == ()
        assert allowed.body_html is not None and "https://tracker.example.net/" in allowed.body_html
        assert "㈱髙橋商事" in allowed.body_html  # decoded like at ingest
    (other_sender,) = load(db, ticket_id, remote_senders={"someone@example.jp"}).messages
    assert not other_sender.remote_allowed and other_sender.remote_images
    with db.read() as session:
        html = conversation.remote_html(session, message.id)
    assert html is not None and "https://tracker.example.net/" in html


def test_hostile_stored_html_is_sanitized_again(db: Database, team: Team) -> None:
    hostile = (
        "<p>Hello <b>there</b></p><script>alert('run')</script>"
        "<svg onload=\"alert('svg')\"><circle r='5'/></svg>"
        "<a href=\"javascript:alert('link')\">click me</a>"
        '<img src="http://127.0.0.1:9/pixel.gif"><img src="file:///etc/passwd">'
        "<style>@import url(http://127.0.0.1:9/x.css)</style>"
        '<iframe src="http://127.0.0.1:9/frame"></iframe>'
        '<p style="background-image: url(http://127.0.0.1:9/bg.png)">styled</p>'
    )
    add_message(db, team.ticket_id, Direction.IN, body_html=hostile, body_text="Hello there")
    message = load(db, team.ticket_id).messages[-1]
    html = message.body_html
    assert html is not None and "<b>there</b>" in html and "styled" in html
    for gone in ("script", "alert", "svg", "javascript", "iframe", "@import", "url(", "file:"):
        assert gone not in html.lower(), gone
    assert message.remote_images == ("http://127.0.0.1:9/pixel.gif",)


def test_conversation_in_order_with_directions_and_authors(db: Database, team: Team) -> None:
    with db.write() as session:
        alice = session.get(Agent, team.alice_id)
        assert alice is not None
        tickets.add_note(session, alice, team.ticket_id, "顧客に電話済み。<b>不在</b>")
    add_message(
        db,
        team.ticket_id,
        Direction.OUT,
        author_agent_id=team.alice_id,
        from_address="Support <support@example.com>",
        to_addresses="taro@example.jp",
        body_text="お問い合わせありがとうございます。",
        created_at=T0 + timedelta(hours=1),
    )
    loaded = load(db, team.ticket_id)
    assert [m.direction for m in loaded.messages] == ["in", "note", "out"]
    first, note, reply = loaded.messages
    assert first.body_html is None and first.body_text.startswith("先週注文した商品")
    assert first.thread_reason is None and first.attachments == ()
    assert note.author_name == "Alice Agent" and note.body_text == "顧客に電話済み。<b>不在</b>"
    assert reply.author_name == "Alice Agent" and reply.to_addresses == "taro@example.jp"


def test_only_the_newest_messages_up_to_the_limit(db: Database, team: Team) -> None:
    with db.write() as session:
        actor = session.get(Agent, team.lead_id)
        assert actor is not None
        for n in range(1, 6):
            tickets.add_note(session, actor, team.ticket_id, f"note {n}")
    loaded = load(db, team.ticket_id, limit=3)
    assert [m.body_text for m in loaded.messages] == ["note 3", "note 4", "note 5"]
    assert loaded.earlier_count == 3
    assert len(load(db, team.ticket_id, limit=100).messages) == 6


def test_inline_images_are_raster_and_bounded(db: Database, team: Team) -> None:
    ticket_id = file_raw(db, japanese_html_mail())
    with db.write() as session:
        logo = session.scalars(select(Attachment).where(Attachment.content_id == LOGO_CID)).one()
        logo.content_type = "image/svg+xml"  # a vector "image" is never handed to the view
    (message,) = load(db, ticket_id).messages
    assert message.inline_images == {}


def test_limits_and_missing_things(db: Database, team: Team) -> None:
    long_text = "あ" * (conversation.MAX_TEXT_CHARS + 10)
    add_message(db, team.ticket_id, Direction.IN, body_text=long_text)
    last = load(db, team.ticket_id).messages[-1]
    assert last.text_truncated and len(last.body_text) == conversation.MAX_TEXT_CHARS
    with db.read() as session, pytest.raises(NotFoundError):
        conversation.load_conversation(session, 999_999)
    with db.read() as session, pytest.raises(NotFoundError):
        conversation.attachment_bytes(session, 999_999)
    with db.read() as session, pytest.raises(NotFoundError):
        conversation.remote_html(session, 999_999)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("山田 太郎 <Taro@Example.JP>", "taro@example.jp"),
        ("plain@example.com", "plain@example.com"),
        ('"<b>x</b>" <x@example.com>', "x@example.com"),
        ("undisclosed-recipients:;", None),
        (None, None),
    ],
)
def test_sender_email(value: str | None, expected: str | None) -> None:
    assert conversation.sender_email(value) == expected


def test_html_with_nothing_left_to_show_falls_back_to_text(db: Database, team: Team) -> None:
    add_message(
        db, team.ticket_id, Direction.IN, body_html="<script>x()</script>", body_text="plain"
    )
    last = load(db, team.ticket_id).messages[-1]
    assert last.body_html is None and last.body_text == "plain"


def test_raw_messages_are_read_within_a_budget(
    db: Database, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = japanese_html_mail(message_id="<budget-1@example.jp>")
    ticket_id = file_raw(db, first)
    reply = japanese_html_mail(message_id="<budget-2@example.jp>").replace(
        b"Date:", b"In-Reply-To: <budget-1@example.jp>\r\nDate:", 1
    )
    assert file_raw(db, reply, T0 + timedelta(minutes=5)) == ticket_id
    monkeypatch.setattr(conversation, "MAX_RAW_TOTAL_BYTES", len(reply) + 10)
    older, newer = load(db, ticket_id).messages
    assert newer.remote_images == (TRACKER,)  # the newest is looked at first
    assert older.remote_images == ()  # no budget left: no bar rather than a slow switch
