"""Amounts, dates and counts per locale: yen never with decimals, local time zone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QLocale

from crm_desk.ui.formatting import format_count, format_date, format_datetime, format_money

EN = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
JA = QLocale(QLocale.Language.Japanese, QLocale.Country.Japan)
DE = QLocale(QLocale.Language.German, QLocale.Country.Germany)
NBSP = "\u00a0"


@pytest.fixture
def tokyo_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The desktop's time zone is Japan's (a POSIX rule: no tz database needed)."""
    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def japanese_default() -> Iterator[None]:
    previous = QLocale()
    QLocale.setDefault(JA)
    yield
    QLocale.setDefault(previous)


@pytest.mark.parametrize("locale", [EN, JA], ids=["en_US", "ja_JP"])
def test_yen_has_no_decimals_and_groups_thousands(locale: QLocale) -> None:
    assert format_money(Decimal("12800.00"), "JPY", locale) == "¥12,800"
    assert format_money(Decimal(0), "JPY", locale) == "¥0"
    assert format_money(Decimal("1234567"), "jpy", locale) == "¥1,234,567"
    # Half a yen rounds half up, as a receipt does, never to a decimal.
    assert format_money(Decimal("12800.50"), "JPY", locale) == "¥12,801"
    assert format_money(Decimal("12800.49"), "JPY", locale) == "¥12,800"


@pytest.mark.parametrize("locale", [EN, JA], ids=["en_US", "ja_JP"])
def test_dollars_and_euros_have_cents(locale: QLocale) -> None:
    assert format_money(Decimal("1234.5"), "USD", locale) == "$1,234.50"
    assert format_money(Decimal("49"), "USD", locale) == "$49.00"
    assert format_money(Decimal("0.005"), "EUR", locale) == "€0.01"
    # The largest NUMERIC(14, 2) amount survives to the cent.
    assert format_money(Decimal("999999999999.99"), "USD", locale) == "$999,999,999,999.99"


def test_grouping_and_symbol_placement_follow_the_locale() -> None:
    assert format_money(Decimal("1234.5"), "EUR", DE) == f"1.234,50{NBSP}€"
    assert format_money(Decimal("12800"), "JPY", DE) == f"12.800{NBSP}¥"


@pytest.mark.parametrize("locale", [EN, JA], ids=["en_US", "ja_JP"])
def test_negative_amounts_use_a_minus_sign_and_other_currencies_their_code(
    locale: QLocale,
) -> None:
    assert format_money(Decimal(-500), "JPY", locale) == "-¥500"
    assert format_money(Decimal("-3.25"), "USD", locale) == "-$3.25"
    assert format_money(Decimal("1234.5"), "CHF", locale) == f"1,234.50{NBSP}CHF"
    assert format_money(Decimal("1234.5"), "KRW", locale) == "₩1,235"
    assert format_money(None, "JPY", locale) == ""


def test_counts_group_per_locale() -> None:
    assert format_count(1234567, EN) == "1,234,567"
    assert format_count(1234567, JA) == "1,234,567"
    assert format_count(1234567, DE) == "1.234.567"
    assert format_count(7, JA) == "7"


def test_dates_use_the_locales_short_format() -> None:
    assert format_date(date(2025, 3, 3), EN) == "3/3/25"
    assert format_date(date(2025, 3, 3), JA) == "2025/03/03"
    assert format_date(None, JA) == ""


@pytest.mark.usefixtures("tokyo_time")
def test_timestamps_are_shown_in_the_local_time_zone() -> None:
    evening_utc = datetime(2025, 3, 3, 20, 5, tzinfo=UTC)  # 05:05 the next morning in Tokyo
    assert format_date(evening_utc, JA) == "2025/03/04"
    assert format_date(evening_utc, EN) == "3/4/25"
    assert format_datetime(evening_utc, JA) == "2025/03/04 5:05"
    # Newer CLDR data puts a narrow no-break space before AM/PM.
    assert format_datetime(evening_utc, EN).replace("\u202f", " ") == "3/4/25 5:05 AM"
    afternoon_utc = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
    assert format_datetime(afternoon_utc, JA) == "2025/03/03 18:30"
    # A naive value is taken as UTC, as the database stores it.
    assert format_datetime(datetime(2025, 3, 3, 9, 30), JA) == "2025/03/03 18:30"
    assert format_datetime(None, JA) == ""


@pytest.mark.usefixtures("japanese_default", "tokyo_time")
def test_without_a_locale_the_applications_default_is_used() -> None:
    assert format_money(Decimal(12800), "JPY") == "¥12,800"
    assert format_date(date(2025, 3, 3)) == "2025/03/03"
    assert format_datetime(datetime(2025, 3, 3, 9, 30, tzinfo=UTC)) == "2025/03/03 18:30"
    assert format_count(12345) == "12,345"


def test_the_c_locale_reads_as_english() -> None:
    c_locale = QLocale.c()
    assert format_money(Decimal(16780), "JPY", c_locale) == "¥16,780"
    assert format_count(16780, c_locale) == "16,780"
    assert format_date(date(2025, 3, 3), c_locale) == "3/3/25"
