"""The ticket pane's conversation: order and directions, Japanese HTML mail, hostile HTML that
runs and fetches nothing, markup in subjects and names shown as text, remote images only when
allowed, links, attachments saved only where the agent chose, headers on demand."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QPoint, QSettings, Qt, QUrl
from PySide6.QtGui import QImage, QTextCursor, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from crm_desk.core import tickets
from crm_desk.store.db import Database
from crm_desk.store.models import Agent, Direction
from crm_desk.ui import tasks
from crm_desk.ui.views.conversation_view import (
    REMOTE_SENDERS_KEY,
    ConversationView,
    safe_file_name,
)
from crm_desk.ui.views.html_view import HtmlView, LinkOpener, RemoteImages, misleading_text
from crm_desk.ui.views.message_view import MessageView
from tests.core.test_conversation import (
    JAPANESE_HTML,
    LOGO_CID,
    PDF,
    add_message,
    file_raw,
    japanese_html_mail,
    tiny_png,
)
from tests.support.factories import Team, make_team

IMAGE = QTextDocument.ResourceType.ImageResource.value


# --- a web server that records what was asked of it -------------------------------------------


class RecordingServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.paths: list[str] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        body = tiny_png(4, 4, (20, 160, 20))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[RecordingServer]:
    server = RecordingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


# --- helpers -----------------------------------------------------------------------------------


class Links:
    """Stands in for the system browser and the warning box."""

    def __init__(self, answer: bool = True) -> None:
        self.opened: list[str] = []
        self.questions: list[str] = []
        self.answer = answer

    def open_url(self, url: QUrl) -> bool:
        self.opened.append(url.toString())
        return True

    def confirm(self, _parent: QWidget, _title: str, question: str) -> bool:
        self.questions.append(question)
        return self.answer


@pytest.fixture
def team(ui_db: Database) -> Team:
    return make_team(ui_db)


@pytest.fixture
def links() -> Links:
    return Links()


def make_view(
    qtbot: QtBot,
    db: Database,
    settings: QSettings,
    links: Links | None = None,
    saved_to: list[str | None] | None = None,
) -> ConversationView:
    links = links or Links()
    answers = saved_to if saved_to is not None else []
    asked: list[str] = []

    def ask_path(_parent: QWidget, suggested: str) -> str | None:
        asked.append(suggested)
        return answers.pop(0) if answers else None

    view = ConversationView(
        db, settings, open_url=links.open_url, confirm=links.confirm, ask_path=ask_path
    )
    view.asked_names = asked  # type: ignore[attr-defined]
    qtbot.addWidget(view)
    view.resize(800, 900)
    view.show()
    qtbot.waitExposed(view)
    return view


def show(qtbot: QtBot, view: ConversationView, ticket_id: int) -> list[MessageView]:
    with qtbot.waitSignal(view.loaded, timeout=10_000) as loaded:
        view.show_ticket(ticket_id)
    assert loaded.args == [ticket_id]
    for message in view.message_views:
        message.body.grab()  # lay out and paint: every resource the body wants is asked for
    return view.message_views


def click_anchor(browser: HtmlView, text: str) -> None:
    """Click the link whose visible text contains ``text``, as a person would."""
    found = browser.document().find(text)
    assert not found.isNull(), text
    cursor = QTextCursor(browser.document())
    cursor.setPosition(found.selectionStart() + 1)
    spot = browser.cursorRect(cursor).center() + QPoint(1, 0)
    QTest.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=spot)


def team_first_message() -> str:
    return "先週注文した商品がまだ届いていません。注文番号は A-1001 です。"


# --- the conversation --------------------------------------------------------------------------


def test_messages_in_order_with_directions_told_apart(
    qtbot: QtBot, ui_db: Database, settings: QSettings, team: Team
) -> None:
    with ui_db.write() as session:
        alice = session.get(Agent, team.alice_id)
        assert alice is not None
        tickets.add_note(session, alice, team.ticket_id, "お客様に電話しました。")
    add_message(
        ui_db,
        team.ticket_id,
        Direction.OUT,
        author_agent_id=team.alice_id,
        from_address="Support <support@example.com>",
        to_addresses="山田 太郎 <taro@example.jp>",
        body_text="お問い合わせありがとうございます。\n発送済みです。\n\n",
        is_auto_reply=False,
    )
    add_message(
        ui_db,
        team.ticket_id,
        Direction.IN,
        from_address="mailer-daemon@example.jp",
        body_text="不在です",
        is_auto_reply=True,
        charset_note="Subject: declared iso-2022-jp, decoded as cp932",
        thread_reason="In-Reply-To <x@example.com>",
    )
    view = make_view(qtbot, ui_db, settings)
    messages = show(qtbot, view, team.ticket_id)

    assert [m.property("direction") for m in messages] == ["in", "note", "out", "in"]
    first, note, reply, auto = messages
    assert view.subject_label.text() == "注文した商品が届きません"
    assert first.from_label.text() == "山田 太郎 <taro@example.jp>"
    assert (
        first.body.toPlainText() == "先週注文した商品がまだ届いていません。注文番号は A-1001 です。"
    )
    assert note.findChild(QLabel, "noteBadge") is not None
    assert note.from_label.text() == "Alice Agent"
    assert reply.findChild(QLabel, "replyBadge") is not None
    assert reply.body.toPlainText() == "お問い合わせありがとうございます。\n発送済みです。"
    assert first.findChild(QLabel, "noteBadge") is None
    assert auto.findChild(QLabel, "autoReplyBadge") is not None
    assert first.findChild(QLabel, "autoReplyBadge") is None
    reason = auto.findChild(QLabel, "threadReason")
    assert reason is not None
    assert reason.text() == "Threaded here because: it answers <x@example.com>"
    charset = auto.findChild(QLabel, "charsetNote")
    assert charset is not None and "decoded as cp932" in charset.text()
    assert not first.headers_button.isVisibleTo(first)  # a message made here has no headers


def test_japanese_html_mail_with_inline_image_attachment_and_headers(
    qtbot: QtBot, ui_db: Database, settings: QSettings, team: Team
) -> None:
    ticket_id = file_raw(ui_db, japanese_html_mail())
    view = make_view(qtbot, ui_db, settings)
    (message,) = show(qtbot, view, ticket_id)

    assert "ご注文①の請求書を添付いたします。㈱髙橋商事" in message.body.toPlainText()
    assert view.subject_label.text() == "請求書の送付（注文①）"
    logo = message.body.document().resource(IMAGE, QUrl(f"cid:{LOGO_CID}"))
    assert isinstance(logo, QImage) and (logo.width(), logo.height()) == (3, 2)
    assert f"cid:{LOGO_CID}" in message.body.requested_resources
    assert [r for r in message.body.requested_resources if r and not r.startswith("cid:")] == []
    reason = message.findChild(QLabel, "threadReason")
    assert reason is not None and reason.text() == "Threaded here because: a new conversation"

    names = [label.text() for label in message.findChildren(QLabel, "attachmentName")]
    sizes = [label.text() for label in message.findChildren(QLabel, "attachmentSize")]
    assert names == ["請求書.pdf"]  # the inline logo is in the body, not in the list
    assert sizes == [QLocale().formattedDataSize(len(PDF))]

    assert message.headers_view is None  # headers only on demand
    message.headers_button.click()
    headers = message.headers_view
    assert headers is not None and headers.isVisible()
    assert "Message-ID: <jp-html-1@example.jp>" in headers.toPlainText()
    message.headers_button.click()
    assert not headers.isVisible()


def test_hostile_html_runs_nothing_and_fetches_nothing(
    qtbot: QtBot, ui_db: Database, settings: QSettings, team: Team, web: RecordingServer
) -> None:
    hostile = (
        "<p>Hello <b>there</b></p>"
        "<script>document.title = 'ran'; fetch('" + web.url("/script") + "')</script>"
        f'<svg onload="alert(\'svg\')"><image href="{web.url("/svg-image")}"/></svg>'
        "<a href=\"javascript:alert('link')\">javascript link</a> "
        f'<img src="{web.url("/img.png")}" srcset="{web.url("/srcset.png")} 2x">'
        f'<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+">'
        '<img src="file:///etc/passwd">'
        f'<link rel="stylesheet" href="{web.url("/sheet.css")}">'
        f"<style>@import url({web.url('/import.css')}); p {{ background: url({web.url('/bg')}) }}"
        "</style>"
        f'<table background="{web.url("/table.png")}"><tr><td>cell</td></tr></table>'
        f'<iframe src="{web.url("/frame")}"></iframe><object data="{web.url("/object")}"></object>'
        f'<p style="background-image: url({web.url("/inline-style.png")})">styled</p>'
        f'<video poster="{web.url("/poster.png")}"></video>'
    )
    # Once straight into the database (as a damaged or hostile row), once as real mail.
    add_message(ui_db, team.ticket_id, Direction.IN, body_html=hostile, body_text="Hello")
    raw = japanese_html_mail(message_id="<hostile@example.net>", html=hostile)
    mail_ticket = file_raw(ui_db, raw)
    links = Links()
    view = make_view(qtbot, ui_db, settings, links)

    for ticket_id in (team.ticket_id, mail_ticket):
        messages = show(qtbot, view, ticket_id)
        hostile_view = messages[-1]
        body = hostile_view.body
        text = body.toPlainText()
        assert "Hello there" in text and "cell" in text and "styled" in text
        assert "ran" not in text and "alert" not in text and "fetch" not in text
        assert view.window().windowTitle() != "ran"
        # Nothing outside the message was even asked for, and nothing went out.
        asked = [r for r in body.requested_resources if r and not r.startswith("cid:")]
        assert asked == [], asked
        assert view.remote_images.requested == []
        assert hostile_view.remote_bar is not None  # the blocked image can be loaded on request
        assert links.opened == [] and links.questions == []
    assert web.paths == []


def test_html_view_alone_fetches_nothing_and_opens_no_script(
    qtbot: QtBot, web: RecordingServer
) -> None:
    """The second line of defence: unsanitized HTML straight into the body view."""
    links = Links()
    remote = RemoteImages()
    browser = HtmlView(remote, LinkOpener(links.open_url, links.confirm))
    qtbot.addWidget(browser)
    browser.resize(600, 400)
    browser.show()
    qtbot.waitExposed(browser)
    svg = "data:image/svg+xml;base64,PHN2ZyB3aWR0aD0iMTAiIGhlaWdodD0iMTAiLz4="
    png = "data:image/png;base64," + base64.b64encode(tiny_png(5, 5)).decode("ascii")
    browser.set_message(
        f'<html><head><link rel="stylesheet" type="text/css" href="{web.url("/b.css")}">'
        "</head><body>"
        f'<p><img src="{web.url("/a.png")}" width="20" height="20"></p>'
        f'<p><img src="file:///etc/hostname"><img src="{svg}"><img src="{png}"></p>'
        f'<table background="{web.url("/c.png")}"><tr><td>x</td></tr></table>'
        "<p><a href=\"javascript:document.title='ran'\">run me</a></p><script>x()</script>"
        "</body></html>",
        "",
    )
    browser.grab()
    asked = set(browser.requested_resources)
    assert {web.url("/a.png"), web.url("/b.css"), "file:///etc/hostname", svg} <= asked
    for name in (web.url("/a.png"), "file:///etc/hostname", svg, web.url("/c.png")):
        image = browser.document().resource(IMAGE, QUrl(name))
        assert isinstance(image, QImage) and image.size().width() <= 1, name  # a blank
    pasted = browser.document().resource(IMAGE, QUrl(png))  # a pasted signature image shows
    assert isinstance(pasted, QImage) and pasted.width() == 5
    with qtbot.waitSignal(browser.link_refused) as refused:
        click_anchor(browser, "run me")
    assert refused.args[0].scheme() == "javascript"
    assert remote.requested == [] and links.opened == [] and web.paths == []


def test_markup_in_subject_names_and_file_names_is_literal_text(
    qtbot: QtBot, ui_db: Database, settings: QSettings, web: RecordingServer
) -> None:
    markup = f'<b>bold</b><img src="{web.url("/subject.png")}"><script>alert(1)</script>'
    with ui_db.write() as session:
        ticket = tickets.create_ticket(session, None, subject=markup)
        ticket_id = ticket.id
    add_message(
        ui_db,
        ticket_id,
        Direction.IN,
        from_address=f'"{markup}" <evil@example.com>',
        to_addresses=markup,
        subject=markup + " again",
        body_text=markup,
        thread_reason=markup,
        headers=f"Subject: {markup}",
    )
    view = make_view(qtbot, ui_db, settings)
    (message,) = show(qtbot, view, ticket_id)

    assert view.subject_label.text() == markup
    assert message.from_label.text() == f'"{markup}" <evil@example.com>'
    assert message.body.toPlainText() == markup
    labels = view.findChildren(QLabel)
    assert len(labels) > 5
    for label in labels:
        assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
    shown = {label.objectName(): label.text() for label in labels}
    assert shown["messageSubject"] == f"Subject: {markup} again"
    assert shown["threadReason"] == f"Threaded here because: {markup}"
    message.headers_button.click()
    assert message.headers_view is not None
    assert message.headers_view.toPlainText() == f"Subject: {markup}"
    assert web.paths == []


# --- remote images -----------------------------------------------------------------------------


def remote_mail(web: RecordingServer, message_id: str = "<remote@example.jp>") -> bytes:
    html = JAPANESE_HTML.replace("https://tracker.example.net/open.png?id=42", web.url("/r.png"))
    return japanese_html_mail(message_id=message_id, html=html)


def test_remote_images_load_for_this_message_only_when_asked(
    qtbot: QtBot, ui_db: Database, settings: QSettings, team: Team, web: RecordingServer
) -> None:
    ticket_id = file_raw(ui_db, remote_mail(web))
    view = make_view(qtbot, ui_db, settings)
    (message,) = show(qtbot, view, ticket_id)
    assert message.remote_bar is not None and message.remote_bar.isVisible()
    assert web.paths == [] and view.remote_images.requested == []

    message.load_remote_button.click()
    qtbot.waitUntil(lambda: view.remote_images.image(web.url("/r.png")) is not None)
    assert web.paths == ["/r.png"]
    assert not message.remote_bar.isVisible()
    qtbot.waitUntil(
        lambda: (
            isinstance(
                image := message.body.document().resource(IMAGE, QUrl(web.url("/r.png"))), QImage
            )
            and image.width() == 4
        )
    )
    assert settings.value(REMOTE_SENDERS_KEY) is None  # this message only

    # Shown again in this session: still allowed, fetched once only.
    (again,) = show(qtbot, view, ticket_id)
    assert again.remote_bar is None and again.body.remote_allowed
    assert web.paths == ["/r.png"]


def test_remote_images_always_for_this_sender_is_remembered(
    qtbot: QtBot,
    ui_db: Database,
    settings: QSettings,
    team: Team,
    web: RecordingServer,
) -> None:
    ticket_id = file_raw(ui_db, remote_mail(web))
    view = make_view(qtbot, ui_db, settings)
    (message,) = show(qtbot, view, ticket_id)
    message.always_remote_button.click()
    qtbot.waitUntil(lambda: web.paths == ["/r.png"])
    assert view.remote_senders() == {"taro@example.jp"}

    # Another window of this desktop (same settings file) loads them from the start.
    settings.sync()
    reopened = QSettings(settings.fileName(), QSettings.Format.IniFormat)
    other = make_view(qtbot, ui_db, reopened)
    (shown,) = show(qtbot, other, ticket_id)
    assert shown.remote_bar is None and shown.body.remote_allowed
    assert shown.message.remote_images == ()


# --- links -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "target", "misleading"),
    [
        ("www.bank.example", "https://evil.example/login", True),
        ("https://bank.example/login", "https://bank.example.evil.example/", True),
        ("bank.example", "https://www.bank.example/account", False),
        ("https://www.bank.example", "https://bank.example/", False),
        ("注文履歴", "https://shop.example.jp/orders", False),
        ("Click here", "https://evil.example/", False),
        ("help@bank.example", "mailto:thief@evil.example", True),
        ("help@bank.example", "mailto:help@bank.example", False),
        ("version 1.2", "https://example.com", False),
    ],
)
def test_misleading_link_text(text: str, target: str, misleading: bool) -> None:
    assert misleading_text(text, QUrl(target)) is misleading


def test_links_open_in_the_browser_after_a_warning_when_text_misleads(
    qtbot: QtBot, links: Links
) -> None:
    browser = HtmlView(RemoteImages(), LinkOpener(links.open_url, links.confirm))
    qtbot.addWidget(browser)
    browser.resize(600, 300)
    browser.show()
    qtbot.waitExposed(browser)
    browser.set_message(
        '<p><a href="https://evil.example/login">www.<b>bank</b>.example</a></p>'
        '<p><a href="https://shop.example.jp/orders">注文履歴</a></p>'
        '<p><a href="mailto:help@shop.example.jp">mail us</a></p>'
        '<p><a href="file:///etc/passwd">local file</a></p>',
        "",
    )
    links.answer = False
    click_anchor(browser, "bank")
    assert len(links.questions) == 1 and "www.bank.example" in links.questions[0]
    assert "https://evil.example/login" in links.questions[0]
    assert links.opened == []  # the agent said no

    links.answer = True
    click_anchor(browser, "bank")
    assert links.opened == ["https://evil.example/login"]

    click_anchor(browser, "注文履歴")
    click_anchor(browser, "mail us")
    assert links.opened[1:] == ["https://shop.example.jp/orders", "mailto:help@shop.example.jp"]
    assert len(links.questions) == 2  # honest links open without a question

    with qtbot.waitSignal(browser.link_refused):
        click_anchor(browser, "local file")
    assert len(links.opened) == 3


# --- attachments, limits, switching ------------------------------------------------------------


def test_attachment_is_saved_only_to_the_file_the_agent_chose(
    qtbot: QtBot, ui_db: Database, settings: QSettings, team: Team, tmp_path: Path
) -> None:
    ticket_id = file_raw(ui_db, japanese_html_mail())
    target = tmp_path / "chosen" / "invoice.pdf"
    target.parent.mkdir()
    choices: list[str | None] = [None, str(target)]  # first the agent cancels
    view = make_view(qtbot, ui_db, settings, saved_to=choices)
    (message,) = show(qtbot, view, ticket_id)
    (button,) = message.save_buttons.values()

    button.click()
    qtbot.waitUntil(tasks.is_idle)
    assert list(target.parent.iterdir()) == []
    notes: list[str] = []
    view.status_message.connect(notes.append)
    with qtbot.waitSignal(view.attachment_saved) as saved:
        button.click()
    assert saved.args == [str(target)]
    assert notes == [f"Saved {target}"]
    assert target.read_bytes() == PDF
    assert view.asked_names == ["請求書.pdf", "請求書.pdf"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "suggested"),
    [
        ("請求書.pdf", "請求書.pdf"),
        ("../../.bashrc", "bashrc"),
        ("C:\\Windows\\evil.exe", "evil.exe"),
        ('a<b>:"c|?*.txt\x07', "a_b___c___.txt_"),
        ("...", "attachment"),
    ],
)
def test_safe_file_name(name: str, suggested: str) -> None:
    assert safe_file_name(name) == suggested


def test_long_thread_shows_the_newest_with_a_button_for_earlier(
    qtbot: QtBot, ui_db: Database, settings: QSettings, team: Team
) -> None:
    with ui_db.write() as session:
        lead = session.get(Agent, team.lead_id)
        assert lead is not None
        for n in range(1, 56):
            tickets.add_note(session, lead, team.ticket_id, f"note {n}")
    view = make_view(qtbot, ui_db, settings)
    messages = show(qtbot, view, team.ticket_id)
    assert len(messages) == 50 and messages[-1].body.toPlainText() == "note 55"
    assert view.earlier_button is not None and "6" in view.earlier_button.text()
    with qtbot.waitSignal(view.loaded):
        view.earlier_button.click()
    assert len(view.message_views) == 56 and view.earlier_button is None
    assert view.message_views[0].body.toPlainText().startswith("先週注文した商品")


def test_a_stale_result_is_dropped_when_the_selection_moved_on(
    qtbot: QtBot, ui_db: Database, settings: QSettings, team: Team
) -> None:
    other = file_raw(ui_db, japanese_html_mail())
    view = make_view(qtbot, ui_db, settings)
    painted: list[int] = []
    view.loaded.connect(painted.append)
    view.show_ticket(team.ticket_id)
    view.show_ticket(other)
    qtbot.waitUntil(lambda: painted == [other])
    qtbot.waitUntil(tasks.is_idle)
    assert painted == [other]
    assert view.conversation is not None and view.conversation.ticket_id == other

    view.show_ticket(team.ticket_id)
    view.clear()  # e.g. the selection became empty before the result landed
    qtbot.waitUntil(tasks.is_idle)
    assert painted == [other] and view.message_views == [] and view.ticket_id is None
    assert view.placeholder.isVisible()


def test_a_missing_ticket_says_so(
    qtbot: QtBot, ui_db: Database, settings: QSettings, team: Team
) -> None:
    errors: list[BaseException] = []
    tasks.install_error_handler(errors.append)
    view = make_view(qtbot, ui_db, settings)
    view.show_ticket(424242)
    qtbot.waitUntil(lambda: bool(errors))
    assert view.placeholder.isVisible() and "#424242" in view.placeholder.text()
    assert view.message_views == []
