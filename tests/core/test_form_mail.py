"""Web-form notification mail: fields out of the body, and the ticket filed for the customer."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from crm_desk.cli import main
from crm_desk.core import form_mail, team_settings
from crm_desk.core.form_mail import FormFields, parse_form_body
from crm_desk.store.db import Database
from crm_desk.store.models import Company, Contact, Message, Ticket
from tests.core.test_ingest import file_mail
from tests.support.factories import make_team

CF7_JA = """\
お問い合わせフォームから送信されました。

お名前：髙橋 一郎
フリガナ：タカハシ イチロウ
会社名：㈱サンプル商事
メールアドレス：ichiro@sample-shoji.co.jp
電話番号：03-1234-5678
お問い合わせ内容：
先日注文した商品①について、
納期を教えてください。

--
このメールは example.jp のお問い合わせフォームから送信されました
"""


def test_japanese_colon_form() -> None:
    fields = parse_form_body(CF7_JA)
    assert fields == FormFields(
        email="ichiro@sample-shoji.co.jp",
        name="髙橋 一郎",
        name_kana="タカハシ イチロウ",
        phone="03-1234-5678",
        company="㈱サンプル商事",
        message=(
            "先日注文した商品①について、\n納期を教えてください。\n\n--\n"
            "このメールは example.jp のお問い合わせフォームから送信されました"
        ),
    )


def test_bracket_bullet_and_next_line_shapes() -> None:
    body = "【お名前】山田 花子\n■メールアドレス\nＨＡＮＡＫＯ@Example.jp\n\n[TEL] 090-0000-1111\n"
    fields = parse_form_body(body)
    assert fields is not None
    assert (fields.name, fields.email, fields.phone) == (
        "山田 花子",
        "hanako@example.jp",
        "090-0000-1111",
    )


def test_english_labels_and_a_custom_field_map() -> None:
    english = "Name: Jane Doe\nEmail: jane@example.com\nMessage: Where is my order?\n"
    fields = parse_form_body(english)
    assert fields is not None and (fields.name, fields.message) == (
        "Jane Doe",
        "Where is my order?",
    )
    custom = {"name": ["ご担当者"], "email": ["連絡先メール"]}
    fields = parse_form_body("ご担当者：佐藤\n連絡先メール：sato@example.jp\n", custom)
    assert fields is not None and (fields.name, fields.email) == ("佐藤", "sato@example.jp")
    # A team's own map replaces the common labels.
    assert parse_form_body("お名前：佐藤\nメールアドレス：sato@example.jp\n", custom) is None


def test_without_an_address_it_is_no_form() -> None:
    assert parse_form_body("お名前：佐藤\nメールアドレス：（未入力）\n") is None
    assert not form_mail.is_form_sender("someone@example.com", ["form@example.jp"])
    assert form_mail.is_form_sender("Form@Example.jp", ["form@example.jp"])


def notification(body: str, sender: str = "WordPress <form@example.jp>", mid: str = "f1") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@example.com"
    message["Subject"] = "【お問い合わせ】納期について"
    message["Message-ID"] = f"<{mid}@example.jp>"
    message.set_content(body)
    return message.as_bytes()


def test_a_configured_form_sender_files_the_ticket_for_the_customer(db: Database) -> None:
    make_team(db)
    with db.write() as session:
        team_settings.put(session, None, "form_mail_senders", ["form@example.jp"])

    first = file_mail(db, notification(CF7_JA))
    second = file_mail(db, notification(CF7_JA.replace("03-1234-5678", "03-9999-9999"), mid="f2"))

    with db.read() as session:
        ticket = session.get(Ticket, first.ticket_id)
        assert ticket is not None
        contact = session.get(Contact, ticket.contact_id)
        assert contact is not None
        assert (contact.email, contact.name, contact.name_kana, contact.phone) == (
            "ichiro@sample-shoji.co.jp",
            "髙橋 一郎",
            "タカハシ イチロウ",
            "03-1234-5678",  # the second form did not overwrite it
        )
        company = session.get(Company, contact.company_id)
        assert company is not None and company.name == "㈱サンプル商事"
        message = session.scalars(select(Message).where(Message.ticket_id == ticket.id)).one()
        assert message.from_address == "髙橋 一郎 <ichiro@sample-shoji.co.jp>"
        assert message.thread_reason == "new conversation; web form sent by form@example.jp"
        assert message.raw is not None and b"form@example.jp" in message.raw  # kept as it came
        again = session.get(Ticket, second.ticket_id)
        assert again is not None and again.contact_id == contact.id


def test_other_senders_are_filed_as_they_are(db: Database) -> None:
    make_team(db)
    outcome = file_mail(db, notification(CF7_JA))  # no form senders configured
    with db.read() as session:
        ticket = session.get(Ticket, outcome.ticket_id)
        assert ticket is not None
        contact = session.get(Contact, ticket.contact_id)
        assert contact is not None and contact.email == "form@example.jp"


def test_team_settings_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    code = main(["--database", url, "team-settings", "set", "form_mail_senders", '["form@x.jp"]'])
    assert code == 0
    capsys.readouterr()
    assert main(["--database", url, "team-settings", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {item["key"]: item["value"] for item in listed}["form_mail_senders"] == ["form@x.jp"]
    code = main(["--database", url, "team-settings", "set", "form_mail_senders", "not json"])
    assert code != 0
    assert "takes JSON" in capsys.readouterr().err
