"""Search on both engines: Japanese two-character and longer words, English, addresses."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_desk.core import agents, customers, search, tickets
from crm_desk.store.db import Database
from crm_desk.store.models import SearchDoc
from tests.support.factories import make_team

MAIL = [
    (
        "注文した商品が届きません",
        "先週注文したコーヒー豆がまだ届きません。配送状況を教えてください。",
    ),
    ("返品について", "サイズが合わないので返品したいです。交換も可能ですか？"),
    ("請求書の再発行をお願いします", "経理から請求書の宛名を株式会社に変更するよう言われました。"),
    ("お問い合わせ：製品の使い方", "ﾊﾝｶｸで書かれた説明書の読み方がわかりません。髙橋より"),
    (
        "Refund for damaged grinder",
        "The grinder arrived damaged. Please arrange a refund or exchange.",
    ),
    ("Invoice address", "Please send the invoice to accounts@example.org instead."),
]


@pytest.fixture
def indexed(db: Database) -> dict[str, int]:
    make_team(db)
    numbers: dict[str, int] = {}
    with db.write() as session:
        for index, (subject, body) in enumerate(MAIL):
            contact, _ = customers.match_or_create_contact(session, None, f"c{index}@example.net")
            ticket = tickets.create_ticket(
                session,
                None,
                subject=subject,
                contact_id=contact.id,
                body_text=body,
                from_address=contact.email,
            )
            numbers[subject] = ticket.id
    return numbers


def ticket_hits(db: Database, query: str, **kwargs: int) -> list[int]:
    with db.read() as session:
        page = search.search(session, query, **kwargs)
    return [hit.id for hit in page.hits if hit.kind == "ticket"]


@pytest.mark.parametrize(
    ("query", "expected_subjects"),
    [
        ("返品", ["返品について"]),
        ("配送", ["注文した商品が届きません"]),
        ("請求書", ["請求書の再発行をお願いします"]),
        ("お問い合わせ", ["お問い合わせ：製品の使い方"]),
        ("ハンカク", ["お問い合わせ：製品の使い方"]),  # half-width in the mail, full-width typed
        ("髙橋", ["お問い合わせ：製品の使い方"]),
        ("refund", ["Refund for damaged grinder"]),
        ("REFUND grinder", ["Refund for damaged grinder"]),
        ("accounts@example.org", ["Invoice address"]),
        ("invoice", ["Invoice address"]),
    ],
)
def test_finds_what_is_there(
    indexed: dict[str, int], db: Database, query: str, expected_subjects: list[str]
) -> None:
    assert ticket_hits(db, query) == [indexed[s] for s in expected_subjects]


def test_two_character_word_matches_every_ticket_containing_it(
    indexed: dict[str, int], db: Database
) -> None:
    # 注文 is in the first mail and in the team factory's ticket; never in the others.
    found = ticket_hits(db, "注文")
    assert indexed["注文した商品が届きません"] in found
    assert len(found) == 2
    assert indexed["返品について"] not in found


@pytest.mark.parametrize(
    "query", ["解約", "キャンセル", "shipping", "注文 refund", "請求 返品", "zzz"]
)
def test_does_not_find_what_is_not_there(indexed: dict[str, int], db: Database, query: str) -> None:
    assert ticket_hits(db, query) == []


def test_prefix_of_the_last_word_while_typing(indexed: dict[str, int], db: Database) -> None:
    assert ticket_hits(db, "refu") == [indexed["Refund for damaged grinder"]]
    assert ticket_hits(db, "gri") == [indexed["Refund for damaged grinder"]]


def test_contacts_are_found_by_name_and_address(indexed: dict[str, int], db: Database) -> None:
    with db.read() as session:
        page = search.search(session, "山田")
        assert [(h.kind, h.title) for h in page.hits if h.kind == "contact"] == [
            ("contact", "山田 太郎")
        ]
        page = search.search(session, "taro@example.jp")
        assert any(h.kind == "contact" and h.detail == "taro@example.jp" for h in page.hits)


def test_notes_are_searchable(indexed: dict[str, int], db: Database) -> None:
    ticket_id = indexed["返品について"]
    with db.write() as session:
        tickets.add_note(
            session, agents.by_email(session, "alice@example.com"), ticket_id, "倉庫で検品済み"
        )
    assert ticket_hits(db, "検品") == [ticket_id]


def test_paging(indexed: dict[str, int], db: Database) -> None:
    def hits(**kwargs: int) -> list[tuple[str, int]]:
        with db.read() as session:
            return [(h.kind, h.id) for h in search.search(session, "example", **kwargs).hits]

    everything = hits(limit=50)
    assert len(everything) >= 12  # six tickets and their six senders
    assert hits(limit=5) + hits(limit=5, offset=5) == everything[:10]
    with db.read() as session:
        assert search.search(session, "example", limit=5).has_more
        assert not search.search(session, "example", limit=50).has_more


def test_ranking_prefers_the_denser_match(db: Database) -> None:
    make_team(db)
    with db.write() as session:
        weak = tickets.create_ticket(
            session, None, subject="Question", body_text="one word about shipping " + "filler " * 60
        )
        strong = tickets.create_ticket(
            session, None, subject="Shipping shipping", body_text="shipping shipping shipping"
        )
        weak_id, strong_id = weak.id, strong.id
    assert ticket_hits(db, "shipping")[:2] == [strong_id, weak_id]


def test_query_syntax_cannot_break_out(indexed: dict[str, int], db: Database) -> None:
    for hostile in ['"', "' OR 1=1 --", "NEAR(a b)", "a*", "*", ":*", "&|!", "(((", '注文"返品']:
        with db.read() as session:
            search.search(session, hostile)  # must not raise


def test_tokenizer() -> None:
    assert list(search.tokenize("請求書を")) == ["請求", "求書", "書を", "を"]
    assert list(search.tokenize("注文")) == ["注文", "文"]
    assert list(search.tokenize("ＡＢＣ taro@example.co.jp")) == [
        "abc",
        "taro",
        "example",
        "co",
        "jp",
    ]
    assert [t.tokens for t in search.parse_query("請求書 refund")] == [
        ("請求", "求書"),
        ("refund",),
    ]


def test_punctuation_inside_japanese_splits_words() -> None:
    assert list(search.tokenize("注文・配送")) == ["注文", "文", "配送", "送"]
    assert list(search.tokenize("「返品」について。")) == [
        "返品",
        "品",
        "につ",
        "つい",
        "いて",
        "て",
    ]


def test_ranking_window_is_the_newest_matches(
    indexed: dict[str, int], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a window of 3 and (on PostgreSQL) a first range of 2 documents that must grow,
    the ranked page is drawn from exactly the 3 newest matching documents."""
    with db.read() as session:
        docs = session.execute(
            select(SearchDoc.id, SearchDoc.ticket_id, SearchDoc.contact_id).where(
                SearchDoc.body.contains("example")
            )
        ).all()
    newest = sorted(docs, reverse=True)[:3]
    expected = {("ticket", t) if t is not None else ("contact", c) for _, t, c in newest}
    monkeypatch.setattr(search, "RANK_WINDOW", 3)
    monkeypatch.setattr(search, "POSTGRES_FIRST_SPAN", 2)
    with db.read() as session:
        windowed = {(h.kind, h.id) for h in search.search(session, "example", limit=100).hits}
    assert len(docs) > 3
    assert windowed == expected
