"""Stored thread reasons read back in the reader's language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QApplication

from crm_desk.ui.i18n import install_translators
from crm_desk.ui.thread_reasons import describe_reason


def test_every_shape_core_writes_reads_as_a_sentence() -> None:
    assert describe_reason("new conversation") == "a new conversation"
    assert describe_reason("In-Reply-To <a@b>; reopened") == (
        "it answers <a@b>; the ticket was reopened"
    )
    assert describe_reason("References <r@x> (ticket #3 was merged into #9)") == (
        "it refers to <r@x> (ticket #3 was merged into #9)"
    )
    assert describe_reason(
        "subject token [#12]; #12 was closed over 30 days ago: new linked ticket"
    ) == (
        "its subject names the ticket [#12]; #12 was closed more than 30 days ago: "
        "a new ticket linked to it"
    )
    assert describe_reason("new conversation; web form sent by form@x.jp") == (
        "a new conversation; a web form sent by form@x.jp"
    )
    assert describe_reason("something a newer version wrote") == "something a newer version wrote"


@pytest.fixture
def japanese(qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CRM_DESK_CACHE_DIR", str(tmp_path / "cache"))
    before = QLocale()
    install_translators(qapp, "ja")
    yield
    install_translators(qapp, "en")
    QLocale.setDefault(before)


@pytest.mark.usefixtures("japanese")
def test_in_japanese() -> None:
    text = describe_reason("In-Reply-To <a@b>; auto-reply, status left as it is")
    assert "<a@b>" in text and "自動" in text
