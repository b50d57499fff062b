"""The test-mail corpus (tests/data/mail, see its SOURCES.md): every message parses or is
quarantined with a ParseFailure, no Japanese message comes out as mojibake, and what the source
projects' own tests expect of Japanese messages holds here too."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from crm_desk.mail.parse import ParsedMessage, ParseFailure, parse_message

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"


def _index() -> dict[str, dict[str, str]]:
    with (CORPUS / "INDEX.tsv").open(encoding="utf-8", newline="") as index:
        return {row["path"]: row for row in csv.DictReader(index, delimiter="\t")}


INDEX = _index()
JAPANESE = sorted(path for path, row in INDEX.items() if row["has_japanese"] == "yes")


def _parse(path: str) -> ParsedMessage:
    return parse_message((CORPUS / path).read_bytes())


# --- mojibake -----------------------------------------------------------------------------------

# What Japanese text looks like when it was decoded with the wrong charset.
MOJIBAKE = {
    "replacement character": re.compile("\ufffd"),
    "ISO-2022-JP escape left in the text": re.compile("\x1b"),
    "ISO-2022-JP read as ASCII without its escapes": re.compile(r"\$B[\x21-\x7e]{4,}\(B"),
    "UTF-8 read as Latin-1 / cp1252": re.compile("[ãåæçéè][\x80-\xbf\u0152-\u2122]|ï¼"),
    "Shift_JIS or EUC-JP read as Latin-1 (C1 controls)": re.compile("[\x80-\x9f]"),
    "Shift_JIS read as cp1252": re.compile("(?:[\u201a\u0192\u201e\u2026][\x40-\xff]){2}"),
    "EUC-JP read as Latin-1": re.compile("(?:[\xa4\xa5][\xa1-\xf6]){2}"),
    "UTF-8 read as Shift_JIS": re.compile("[縺繧繝][\u3000-\u30ff\uff61-\uff9f]"),
    "EUC-JP read as Shift_JIS": re.compile(
        "[\uff61-\uff9f]{2}[\u4e00-\u9fff]|[\u4e00-\u9fff][\uff61-\uff9f]{2}"
    ),
}

# Messages whose sender really wrote a U+FFFD: the bytes EF BF BD are in the source itself.
SENDER_WROTE_REPLACEMENT_CHARACTERS = {"jpmobile/iphone-mail3.eml"}


def mojibake(message: ParsedMessage, path: str) -> list[str]:
    texts = [message.subject, message.from_name, message.text, message.headers_text]
    texts += [name for name, _ in message.to + message.cc]
    texts += [attachment.filename_display for attachment in message.attachments]
    found = []
    for what, pattern in MOJIBAKE.items():
        if what == "replacement character" and path in SENDER_WROTE_REPLACEMENT_CHARACTERS:
            continue
        for text in texts:
            if match := pattern.search(text):
                found.append(f"{what}: {text[max(0, match.start() - 20) : match.end() + 20]!r}")
                break
    return found


def test_mojibake_check_catches_the_usual_mistakes() -> None:
    sample = "お世話になっております。テスト①"
    wrong = [
        sample.encode().decode("latin-1"),
        sample.encode().decode("cp1252", "replace"),
        sample.encode("cp932").decode("latin-1"),
        sample.encode("cp932").decode("cp1252", "replace"),
        sample.encode("euc_jp", "replace").decode("latin-1"),
        sample.encode().decode("cp932", "replace"),
        sample.encode("euc_jp", "replace").decode("cp932", "replace"),
        sample.encode("iso2022_jp", "replace").decode("ascii"),
        sample.encode("iso2022_jp", "replace").decode("ascii").replace("\x1b", ""),
    ]
    for text in wrong:
        assert any(pattern.search(text) for pattern in MOJIBAKE.values()), text
    assert not any(pattern.search(sample) for pattern in MOJIBAKE.values())


def test_corpus_is_there() -> None:
    assert len(INDEX) == 282 and len(JAPANESE) >= 40
    assert not [path for path in INDEX if not (CORPUS / path).is_file()]


@pytest.mark.parametrize("path", sorted(INDEX))
def test_parses_or_is_quarantined(path: str) -> None:
    try:
        message = _parse(path)
    except ParseFailure as failure:
        assert failure.reason  # quarantined, with a reason to show
        return
    assert isinstance(message.text, str) and message.size == (CORPUS / path).stat().st_size


@pytest.mark.parametrize("path", JAPANESE)
def test_no_mojibake_in_japanese_mail(path: str) -> None:
    assert mojibake(_parse(path), path) == []


# --- what the source projects expect ---------------------------------------------------------

# path: (subject, a snippet of the body text). From the INDEX notes (the source project's own
# test) where there is one; otherwise read from the message and checked by eye.
LONG_SUBJECT = (
    "タイトルの長いメールの場合の対処を実装するためのテストケースとしてのメールに含まれている"
    "件名であるサブジェクト部分"
)
DOMINO = "ユーザー Neko (kijitora@example.co.jp) は Domino ディレクトリには見つかりません。"
EXPECTED = {
    "jpmobile/iphone-cp932.eml": ("Re: 【NKSC】test", "テストです。㈱"),
    "jpmobile/iphone-circled-numbers-in-jis.eml": ("テスト①", "丸数字のテストです②ⅱ"),
    "jpmobile/iphone-mail3.eml": ("Re: 【NKSC】test", "本文改行なし＿５１２文字＿"),
    "jpmobile/iphone-jis.eml": ("", "(=ﾟωﾟ)ﾉ"),
    "jpmobile/pc-mail-single.eml": (LONG_SUBJECT, "本文です"),
    "jpmobile/pc-mail-multi.eml": (LONG_SUBJECT, "本文です"),
    "jpmobile/pc-mail-attached-without-subject.eml": ("", "本文です"),
    "jpmobile/docomo-jis.eml": ("テスト", "テスト本文"),
    # Carrier emoji come out as the carriers' private-use code points, as jpmobile expects.
    "jpmobile/docomo-emoji.eml": ("題名\ue676", "本文\ue6e2\nFor docomo"),
    "jpmobile/au-emoji.eml": ("題名\ue503", "本文\ue522\nFor au"),
    "jpmobile/au-decomail.eml": ("テスト\ue4f4", "テストです"),
    "jpmobile/docomo-gmail-sjis.eml": ("テスト\ue6ec", "テストです"),
    "jpmobile/au-email.eml": ("※本文はこのままで送信してね", "本文"),
    "jpmobile/au-decomail2.eml": ("Fwd: 【NurseryMail】日日", "来る○○月○○日に保育園にて"),
    "jpmobile/bounce_with_utf8_part.eml": (
        "Fwd: 【NurseryMail】日日",
        "とりあえずＨＴＭＬの本文で",
    ),
    "jpmobile/au-kigou.eml": ("test", "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳ⅠⅡⅢ"),
    "jpmobile/rails-fixtures/iphone-message.eml": (
        "iPhone au メッセージ",
        "%[園児名]%の%[保護者名]% 様",
    ),
    "mikel-mail/multi_charset/japanese.eml": ("まみむめも", "かきくえこ"),
    "mikel-mail/multi_charset/japanese_iso_2022.eml": ("まみむめも", "すみません。"),
    "mikel-mail/multi_charset/japanese_shift_jis.eml": (
        "test",
        "このメールはテスト用のメールです。",
    ),
    "mikel-mail/multi_charset/japanese_attachment_long_name.eml": ("まみむめも" * 10, ""),
    "mikel-mail/rfc2822/example14.eml": ("Re: TEST \tテストテスト", "Hello"),
    "mimekit/messages/japanese.txt": (
        "日本語メールテスト (testing Japanese emails)",
        "日本語が\n正常に\n送れているか\nテスト.",
    ),
    "furyutei-email_decoder/sample_mail_Gmail.eml": (
        "サンプル mail 【試験用】",
        "email_decoder のテスト用メールです。",
    ),
    "webklex-php-imap/issue-410.eml": (
        "☆第132号\u3000「ガーデン&エクステリア」専門店のためのＱ&Ａサロン\u3000【月刊エクステリア・ワーク】",
        "",
    ),
    "sisimai-set-of-emails/bsd/lhost-domino-02.eml": (
        "DELIVERY FAILURE:  " + DOMINO,
        "because:\n\n  " + DOMINO,
    ),
    "sisimai-set-of-emails/bsd/lhost-kddi-01.eml": (
        "メールエラー通知",
        "送信先のメールボックスが一杯のため、送信できませんでした。",
    ),
    "sisimai-set-of-emails/bsd/lhost-office365-13.eml": ("Undeliverable: にゃーん", "Office365"),
    "sisimai-set-of-emails/bsd/lhost-exchange2007-04.eml": (
        "Undeliverable: キジトラ・フラッシュ/ニャーン",
        "Delivery has failed",
    ),
    "sisimai-set-of-emails/bsd/lhost-googlegroups-01.eml": (
        "Delivery Status Notification (Failure)",
        "連絡しようとしたグループ（libsisimai）が存在しないか",
    ),
    "stalwart-mail-parser/thirdparty/005.eml": ("", "『世界人権宣言』"),
}

ATTACHMENT_NAMES = {
    "furyutei-email_decoder/sample_mail_Gmail.eml": ["風アイコン16.png", "風アイコン32.zip"],
    "mikel-mail/multi_charset/japanese_attachment.eml": ["てすと.txt"],
    "mikel-mail/multi_charset/japanese_attachment_long_name.eml": ["かきくけこ" * 5 + ".txt"],
    "webklex-php-imap/issue-410.eml": [EXPECTED["webklex-php-imap/issue-410.eml"][0]],
    "sisimai-set-of-emails/bsd/lhost-kddi-01.eml": ["猫ちゃん.eml"],
    "jpmobile/pc-mail-multi.eml": ["pc-mail.eml"],
}


def test_enough_japanese_expectations() -> None:
    assert len(EXPECTED) >= 20 and set(EXPECTED) <= set(JAPANESE)


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_japanese_subject_and_body(path: str) -> None:
    subject, snippet = EXPECTED[path]
    message = _parse(path)
    assert message.subject == subject
    assert snippet in message.text


@pytest.mark.parametrize("path", sorted(ATTACHMENT_NAMES))
def test_japanese_attachment_names(path: str) -> None:
    names = [attachment.filename_display for attachment in _parse(path).attachments]
    assert names == ATTACHMENT_NAMES[path]


def test_japanese_senders() -> None:
    assert _parse("furyutei-email_decoder/sample_mail_Gmail.eml").from_name == "風柳"
    message = _parse("mikel-mail/multi_charset/japanese_iso_2022.eml")
    assert (message.from_name, message.from_address) == ("Mikel Lindsaar", "raasdnil@gmail.com")


SISIMAI = sorted(path for path in INDEX if path.startswith("sisimai-set-of-emails/"))
NOT_BOUNCES = {"sisimai-set-of-emails/not/is-not-bounce-02.eml"}
# Bounces without any standard marker: au one net's mailbox-full notice (a no-reply sender,
# no Auto-Submitted, a multipart/mixed body) and fml's "Loop Alert" from a mailing list.
UNMARKED_BOUNCES = {
    "sisimai-set-of-emails/bsd/lhost-kddi-01.eml",
    "sisimai-set-of-emails/bsd/lhost-fml-03.eml",
}


@pytest.mark.parametrize("path", SISIMAI)
def test_bounces_and_auto_replies_are_recognised(path: str) -> None:
    message = _parse(path)
    expected = path not in NOT_BOUNCES | UNMARKED_BOUNCES
    assert message.is_auto_reply is expected, message.auto_reply_reason
    assert (message.auto_reply_reason is not None) is expected
