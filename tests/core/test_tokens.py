"""index_text is tokenize, written for speed: the two must never disagree."""

from __future__ import annotations

import pytest

from crm_desk.core.tokens import index_text, tokenize

SAMPLES = [
    "請求書を送ってください",
    "ＡＢＣ ﾊﾝｶｸ 髙橋 﨑 ①",
    "taro@example.co.jp foo_bar__baz 1_2",
    "字",
    "々 〆 ・中黒 ーー",
    "Mixed 注文No.123 返品!",
    "",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_index_text_is_the_joined_tokens(text: str) -> None:
    assert index_text(text) == " ".join(tokenize(text))


def test_parts_are_joined_and_empty_parts_skipped() -> None:
    assert index_text("a", None, "請求書", "") == " ".join([*tokenize("a"), *tokenize("請求書")])
