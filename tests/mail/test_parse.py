"""parse_message: headers, bodies, attachments, auto-replies, limits, and bad input."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

import crm_desk.mail.parse as parse_module
from crm_desk.errors import CrmDeskError
from crm_desk.mail.parse import (
    ParsedMessage,
    ParseFailure,
    ParseLimits,
    parse_message,
    safe_filename,
)


def mail(*headers: str, body: str | bytes = "Hello\r\n") -> bytes:
    """A message from header lines and a body, with CRLF line ends."""
    data = body if isinstance(body, bytes) else body.encode()
    return ("\r\n".join(headers) + "\r\n\r\n").encode("utf-8", "surrogateescape") + data


def whole(*headers: str, content: bytes) -> bytes:
    """A message whose top-level part is ``content`` (a part with its own header lines)."""
    return ("\r\n".join(headers) + "\r\n").encode() + content


def multipart(subtype: str, *parts: bytes, boundary: str = "b1", extra: str = "") -> bytes:
    """A multipart body: each part is its own header block and body."""
    out = b"preamble\r\n"
    for part in parts:
        out += f"--{boundary}\r\n".encode() + part + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    header = f"Content-Type: multipart/{subtype}; boundary={boundary}{extra}"
    return header.encode() + b"\r\n\r\n" + out


def part(*headers: str, body: str | bytes = "") -> bytes:
    data = body if isinstance(body, bytes) else body.encode()
    return ("\r\n".join(headers) + "\r\n\r\n").encode("utf-8", "surrogateescape") + data


JST = timezone(timedelta(hours=9))

BASIC = mail(
    'From: "Yamada, Taro" <Taro.Yamada@Example.CO.JP>',
    "To: support@example.com, =?utf-8?B?5L2Q6Jek?= <sato@example.com>",
    "Cc: undisclosed-recipients:;",
    "Reply-To: <help@example.jp>",
    "Subject: =?iso-2022-jp?B?"
    + base64.b64encode("見積り".encode("iso2022_jp")).decode()
    + "?= #123",
    "Date: Tue, 10 Dec 2024 17:01:30 +0900",
    "Message-ID: <abc.123@mail.example.jp>",
    "In-Reply-To: <prev@example.com> (from Sato)",
    "References: <first@example.com>\r\n <prev@example.com>",
    "Content-Type: text/plain; charset=utf-8",
)


class TestHeaders:
    def test_addresses(self) -> None:
        message = parse_message(BASIC)
        assert message.from_name == "Yamada, Taro"
        assert message.from_address == "taro.yamada@example.co.jp"
        assert message.to == [("", "support@example.com"), ("佐藤", "sato@example.com")]
        assert message.cc == []
        assert message.reply_to == [("", "help@example.jp")]

    def test_subject_date_and_threading(self) -> None:
        message = parse_message(BASIC)
        assert message.subject == "見積り #123"
        assert message.date == datetime(2024, 12, 10, 8, 1, 30, tzinfo=UTC)
        assert message.date.utcoffset() == timedelta(hours=9)
        assert message.message_id == "<abc.123@mail.example.jp>"
        assert message.in_reply_to == "<prev@example.com>"
        assert message.references == ["<first@example.com>", "<prev@example.com>"]
        assert message.text == "Hello"
        assert message.html is None
        assert message.size == len(BASIC)

    def test_headers_text_is_decoded(self) -> None:
        text = parse_message(BASIC).headers_text
        assert "Subject: 見積り #123" in text
        assert "References: <first@example.com> <prev@example.com>" in text

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("Wed, 1 Jan 2025 00:00:00 -0000", datetime(2025, 1, 1, tzinfo=UTC)),
            (
                "1 Jan 2025 09:00 +0900",
                datetime(2025, 1, 1, 9, tzinfo=timezone(timedelta(hours=9))),
            ),
            ("yesterday afternoon", None),
            ("", None),
        ],
    )
    def test_dates(self, value: str, expected: datetime | None) -> None:
        message = parse_message(mail(f"Date: {value}", "From: a@b.c"))
        assert message.date == expected
        assert message.date is None or message.date.tzinfo is not None

    def test_message_ids_without_brackets(self) -> None:
        message = parse_message(mail("Message-ID: id1@host", "References: a@h b@h", "From: x@y"))
        assert message.message_id == "<id1@host>"
        assert message.references == ["<a@h>", "<b@h>"]

    def test_unusual_addresses(self) -> None:
        message = parse_message(
            mail(
                "From: MAILER-DAEMON (Mail Delivery System)",
                "To: Smith, John <john@example.com>, jane@example.com (Jane Doe),",
                '  "=?utf-8?B?6Yi05pyo?=" <suzuki@example.jp>, Group: a@b.c, <d@e.f>;',
                "Cc: =?iso-8859-1?Q?B=FCrling,=20Andreas?= <ab@example.de>",
            )
        )
        assert (message.from_name, message.from_address) == (
            "Mail Delivery System",
            "mailer-daemon",
        )
        assert message.to == [
            ("Smith, John", "john@example.com"),
            ("Jane Doe", "jane@example.com"),
            ("鈴木", "suzuki@example.jp"),
            ("", "a@b.c"),
            ("", "d@e.f"),
        ]
        assert message.cc == [("Bürling, Andreas", "ab@example.de")]

    def test_encoded_word_in_the_address_is_not_decoded(self) -> None:
        # An encoded word inside the address itself could spoof another domain once decoded.
        message = parse_message(mail("From: <=?utf-8?q?attacker?=@victim.example>"))
        assert message.from_address == "=?utf-8?q?attacker?=@victim.example"

    def test_empty_first_from_header(self) -> None:
        message = parse_message(mail("From: [??????]", "From: =?utf-8?B?6YO955C5?= <g@x.cn>"))
        assert (message.from_name, message.from_address) == ("都琹", "g@x.cn")

    def test_raw_shift_jis_headers_use_the_body_charset(self) -> None:
        raw = mail(
            "From: " + "山田".encode("cp932").decode("ascii", "surrogateescape") + " <y@x.jp>",
            "Subject: " + "お見積り".encode("cp932").decode("ascii", "surrogateescape"),
            "Content-Type: text/plain; charset=Shift_JIS",
            body="本文".encode("cp932"),
        )
        message = parse_message(raw)
        assert (message.subject, message.from_name, message.text) == ("お見積り", "山田", "本文")
        assert "Subject: raw 8-bit header, read as cp932" in message.charset_notes

    def test_long_to_header_of_encoded_words_does_not_recurse(self) -> None:
        words = "\r\n\t".join(["=?utf-8?Q?date=3E2017-08-20T10:08:28.617=3C/pr?="] * 3000)
        message = parse_message(mail("From: a@b.c", f"To: x <x@y.z>,\r\n\t{words}"))
        assert message.to[0] == ("x", "x@y.z")

    def test_subject_is_one_line(self) -> None:
        encoded = base64.b64encode("件名\r\nです\n".encode()).decode()
        assert parse_message(mail(f"Subject: =?utf-8?B?{encoded}?=")).subject == "件名 です"


class TestBodies:
    def test_plain_preferred_over_html(self) -> None:
        raw = whole(
            "From: a@b.c",
            content=multipart(
                "alternative",
                part("Content-Type: text/plain; charset=utf-8", body="プレーン"),
                part("Content-Type: text/html; charset=utf-8", body="<p>HTML <b>本文</b></p>"),
            ),
        )
        message = parse_message(raw)
        assert message.text == "プレーン"
        assert message.html == "<p>HTML <b>本文</b></p>"

    def test_html_only_becomes_text(self) -> None:
        raw = mail(
            "From: a@b.c",
            "Content-Type: text/html",
            body=b'<html><head><meta charset="shift_jis"><title>T</title></head><body>'
            + "<p>ご注文ありがとうございます。</p><ul><li>品番 1</li></ul>".encode("cp932")
            + b'<img src="https://track.example/p.gif"></body></html>',
        )
        message = parse_message(raw)
        assert "ご注文ありがとうございます。" in message.text and "* 品番 1" in message.text
        assert message.html is not None and "track.example" not in message.html
        assert message.remote_resources == ["https://track.example/p.gif"]
        assert parse_message(raw, allow_remote=True).remote_resources == []

    def test_iso_2022_jp_body_with_nec_characters(self) -> None:
        body = b"\x1b$B-!-j\x1b(B\r\n"  # ① ㈱ by their JIS codes
        raw = mail("From: a@b.c", "Content-Type: text/plain; charset=ISO-2022-JP", body=body)
        message = parse_message(raw)
        assert message.text == "①㈱"
        assert message.charset_notes == []

    def test_mislabelled_part_is_noted(self) -> None:
        raw = mail(
            "From: a@b.c",
            "Content-Type: text/plain; charset=iso-2022-jp",
            "Content-Transfer-Encoding: base64",
            body=base64.b64encode("テストです。㈱".encode("cp932")),
        )
        message = parse_message(raw)
        assert message.text == "テストです。㈱"
        assert message.charset_notes == ["text/plain part: declared iso-2022-jp, decoded as cp932"]

    def test_format_flowed(self) -> None:
        raw = mail(
            "From: a@b.c",
            "Content-Type: text/plain; charset=utf-8; format=flowed",
            body="This is a long \r\nline.\r\n> quoted \r\n> more\r\n-- \r\nsig\r\n",
        )
        assert parse_message(raw).text == "This is a long line.\n> quoted more\n-- \nsig"
        raw = mail(
            "From: a@b.c",
            "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes",
            body="日本語の \r\n文章です。\r\n",
        )
        assert parse_message(raw).text == "日本語の文章です。"

    def test_missing_boundary_and_broken_base64(self) -> None:
        raw = mail(
            "From: a@b.c",
            "Content-Type: multipart/mixed",  # no boundary at all
            body="Just text, really.\r\n",
        )
        assert parse_message(raw).text == "Just text, really."
        raw = mail(
            "From: a@b.c",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            body=base64.b64encode("壊れたBase64".encode())[:-3] + b"*!\r\n",
        )
        assert parse_message(raw).text.startswith("壊れた")

    @pytest.mark.parametrize("encoding", ["x-unknown", "8bits", " Base64 ", "quoted_printable"])
    def test_transfer_encodings_spelled_oddly(self, encoding: str) -> None:
        body = {" Base64 ": "44GC", "quoted_printable": "=E3=81=82"}.get(encoding, "あ")
        raw = mail(
            "From: a@b.c",
            "Content-Type: text/plain; charset=utf-8",
            f"Content-Transfer-Encoding: {encoding}",
            body=body,
        )
        assert parse_message(raw).text == "あ"

    def test_bogus_charset(self) -> None:
        raw = mail("From: a@b.c", "Content-Type: text/plain; charset=fakescii", body="plain")
        message = parse_message(raw)
        assert message.text == "plain"
        assert message.charset_notes == [
            "text/plain part: unknown charset 'fakescii', read as us-ascii"
        ]

    def test_nul_and_8bit_bytes_in_charset_names(self) -> None:
        # Found by fuzzing: codecs.lookup() and get_payload() raise on such names.
        raw = mail(
            "From: a@b.c",
            "Subject: =?utf\x00-8?Q?caf=C3=A9?= \udcf0",
            'Content-Type: text/plain; charset="utf\x00-8\udcf0"',
            body="body",
        )
        message = parse_message(raw)
        assert message.text == "body" and message.subject.startswith("café")

    def test_nul_bytes_are_dropped(self) -> None:
        raw = mail("From: a@b.c", "Subject: a\x00b", body="x\x00y")
        message = parse_message(raw)
        assert (message.subject, message.text) == ("ab", "xy")

    def test_stray_line_in_the_header_block(self) -> None:
        raw = mail(
            "Received: from x",
            "X-Tracker: AAAA",
            "BBBBBBBB",  # a folded line that lost its indentation
            'From: "Smith, Karoline" <k@example.de>',
            "Subject: still a header",
        )
        message = parse_message(raw)
        assert message.subject == "still a header" and message.from_address == "k@example.de"


class TestAttachments:
    def test_rfc2231_filename_with_continuations(self) -> None:
        attachment = part(
            "Content-Type: application/pdf",
            "Content-Disposition: attachment;",
            " filename*0*=UTF-8''%E8%AB%8B%E6%B1%82;",
            " filename*1*=%E6%9B%B8.pdf",
            "Content-Transfer-Encoding: base64",
            body=base64.b64encode(b"%PDF-1.4 ..."),
        )
        raw = whole("From: a@b.c", content=multipart("mixed", part(body="see"), attachment))
        (found,) = parse_message(raw).attachments
        assert found.filename_display == "請求書.pdf"
        assert found.content_type == "application/pdf"
        assert found.data == b"%PDF-1.4 ..."
        assert found.sha256 == hashlib.sha256(b"%PDF-1.4 ...").hexdigest()
        assert not found.inline and found.content_id is None

    def test_rfc2231_single_value_in_shift_jis(self) -> None:
        attachment = part(
            "Content-Type: text/csv",
            "Content-Disposition: attachment; filename*=shift_jis'ja'%88%EA%97%97.csv",
            body="a,b",
        )
        raw = whole("From: a@b.c", content=multipart("mixed", attachment))
        assert parse_message(raw).attachments[0].filename_display == "一覧.csv"

    def test_rfc2047_filename(self) -> None:
        encoded = base64.b64encode("見積書.xlsx".encode()).decode()
        attachment = part(
            f'Content-Type: application/octet-stream; name="=?UTF-8?B?{encoded}?="',
            "Content-Disposition: attachment",
            body="x",
        )
        raw = whole("From: a@b.c", content=multipart("mixed", attachment))
        assert parse_message(raw).attachments[0].filename_display == "見積書.xlsx"

    def test_raw_8bit_filename(self) -> None:
        name = "写真.jpg".encode("cp932").decode("ascii", "surrogateescape")
        attachment = part(
            "Content-Type: image/jpeg", f'Content-Disposition: attachment; filename="{name}"'
        )
        raw = whole("From: a@b.c", content=multipart("mixed", attachment))
        message = parse_message(raw)
        assert message.attachments[0].filename_display == "写真.jpg"
        assert any(note.startswith("attachment name:") for note in message.charset_notes)

    def test_inline_cid_image(self) -> None:
        image = part(
            "Content-Type: image/png",
            "Content-ID: <logo@example.jp>",
            "Content-Transfer-Encoding: base64",
            body=base64.b64encode(b"\x89PNG\r\n"),
        )
        html = part(
            "Content-Type: text/html; charset=utf-8",
            body='<p>logo:</p><img src="cid:logo@example.jp" onerror="x()">',
        )
        raw = whole(
            "From: a@b.c", content=multipart("related", html, image, extra='; type="text/html"')
        )
        message = parse_message(raw)
        (found,) = message.attachments
        assert (found.content_id, found.inline, found.data) == (
            "logo@example.jp",
            True,
            b"\x89PNG\r\n",
        )
        assert found.filename_display == "attachment-1.png"
        assert message.html == '<p>logo:</p><img src="cid:logo@example.jp">'

    def test_content_id_with_attachment_disposition_is_not_inline(self) -> None:
        image = part(
            "Content-Type: image/png",
            "Content-ID: <a@b>",
            'Content-Disposition: attachment; filename="a.png"',
        )
        raw = whole("From: a@b.c", content=multipart("mixed", image))
        assert not parse_message(raw).attachments[0].inline

    def test_attached_message(self) -> None:
        inner = mail("From: x@y.z", "Subject: =?utf-8?B?5YWD44Gu5Lu25ZCN?=", body="inner")
        attachment = part("Content-Type: message/rfc822", body=inner)
        raw = whole("From: a@b.c", content=multipart("mixed", part(body="outer"), attachment))
        message = parse_message(raw)
        assert message.text == "outer"
        (found,) = message.attachments
        assert found.filename_display == "元の件名.eml"
        assert found.content_type == "message/rfc822"
        assert b"Subject: =?utf-8?B?5YWD44Gu5Lu25ZCN?=" in found.data and b"inner" in found.data

    @pytest.mark.parametrize(
        ("display", "expected"),
        [
            ("請求書.pdf", "請求書.pdf"),
            ("../../etc/passwd", "_.._etc_passwd"),
            ("C:\\Windows\\evil.exe", "C__Windows_evil.exe"),
            (".bashrc", "bashrc"),
            ("...", "attachment-0123456789ab"),
            ("", "attachment-0123456789ab"),
            ("invoice\u202egpj.exe", "invoicegpj.exe"),
            ("a\x00b\r\nc.txt", "abc.txt"),
            ("CON.txt", "_CON.txt"),
            ("name. ", "name"),
        ],
    )
    def test_safe_filename(self, display: str, expected: str) -> None:
        assert safe_filename(display, "0123456789abcdef" * 4) == expected

    def test_safe_filename_length_keeps_extension(self) -> None:
        name = safe_filename("長い名前" * 100 + ".xlsx", "0" * 64)
        assert name.endswith(".xlsx") and len(name.encode()) <= 150


class TestAutoReplies:
    @pytest.mark.parametrize(
        ("header", "reason"),
        [
            ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied"),
            ("X-Autoreply: yes", "X-Autoreply: yes"),
            ("X-Autorespond: vacation", "X-Autorespond: vacation"),
            ("Precedence: bulk", "Precedence: bulk"),
            ("Precedence: junk", "Precedence: junk"),
            ("Precedence: auto_reply", "Precedence: auto_reply"),
            ("Return-Path: <>", "empty Return-Path (a bounce)"),
        ],
    )
    def test_headers(self, header: str, reason: str) -> None:
        message = parse_message(mail("From: a@b.c", header))
        assert message.is_auto_reply and message.auto_reply_reason == reason

    @pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.jp"])
    def test_bounce_senders(self, sender: str) -> None:
        assert parse_message(mail(f"From: {sender}")).is_auto_reply

    def test_delivery_report(self) -> None:
        raw = whole(
            "From: a@b.c",
            content=multipart(
                "report",
                part("Content-Type: text/plain", body="Delivery failed"),
                part("Content-Type: message/delivery-status", body="Status: 5.1.1\r\n"),
                extra="; report-type=delivery-status",
            ),
        )
        message = parse_message(raw)
        assert message.is_auto_reply and message.text == "Delivery failed"
        assert message.attachments[0].content_type == "message/delivery-status"

    def test_ordinary_mail_and_auto_submitted_no(self) -> None:
        for header in ("Auto-Submitted: no", "Precedence: list", "X-Mailer: x"):
            message = parse_message(mail("From: customer@example.com", header))
            assert not message.is_auto_reply and message.auto_reply_reason is None


class TestLimits:
    def test_size(self) -> None:
        raw = b"x" * int(31.2 * 1024 * 1024)
        with pytest.raises(ParseFailure) as caught:
            parse_message(raw)
        assert caught.value.reason == "message is 31.2 MB; the limit is 25 MB"
        assert str(caught.value) == caught.value.reason
        assert isinstance(caught.value, CrmDeskError)

    def test_depth(self) -> None:
        content = part("Content-Type: text/plain", body="deep")
        for level in range(25):
            content = multipart("mixed", content, boundary=f"level{level}")
        raw = whole("From: a@b.c", content=content)
        with pytest.raises(ParseFailure, match="nested more than 20 levels"):
            parse_message(raw)
        assert parse_message(raw, ParseLimits(max_depth=30)).text == "deep"

    def test_parts(self) -> None:
        parts = [part("Content-Type: text/plain", body=str(number)) for number in range(600)]
        raw = whole("From: a@b.c", content=multipart("mixed", *parts))
        with pytest.raises(ParseFailure, match="more than 500 parts"):
            parse_message(raw)

    def test_time(self) -> None:
        with pytest.raises(ParseFailure, match="longer than 0 s"):
            parse_message(BASIC, ParseLimits(max_seconds=0.0))

    def test_empty(self) -> None:
        with pytest.raises(ParseFailure, match="empty"):
            parse_message(b"\r\n \r\n")

    def test_unexpected_errors_become_parse_failures(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def broken(*_: object, **__: object) -> None:
            raise KeyError("boom")

        monkeypatch.setattr(parse_module, "sanitize_html", broken)
        raw = mail("From: a@b.c", "Content-Type: text/html", body="<p>x</p>")
        with pytest.raises(ParseFailure, match=r"cannot be parsed \(KeyError: 'boom'\)"):
            parse_message(raw)

    def test_garbage_never_raises_anything_else(self) -> None:
        rng = random.Random(822)
        seeds = [BASIC, mail("Content-Type: multipart/mixed; boundary=x", body="--x\r\n\r\n--x--")]
        for _ in range(400):
            kind = rng.randrange(3)
            mutated = bytearray(rng.choice(seeds))
            if kind == 0:
                mutated = bytearray(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
            for _ in range(rng.randrange(1, 12) if kind else 0):
                if not mutated:
                    break
                position = rng.randrange(len(mutated))
                if kind == 1:
                    mutated[position] = rng.randrange(256)
                else:
                    del mutated[position : position + rng.randrange(1, 20)]
            with contextlib.suppress(ParseFailure):
                assert isinstance(parse_message(bytes(mutated)), ParsedMessage)

    def test_threads(self) -> None:
        raws = [BASIC, mail("From: x@y.z", "Subject: s", body="b")] * 20
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(parse_message, raws))
        assert [result.subject for result in results[:2]] == ["見積り #123", "s"]
