"""Amounts, dates and counts as a person in the user's locale writes them.

Everything defaults to ``QLocale()``, the application's default locale (the language setting
makes it ``QLocale.setDefault``), so a view never formats by hand. Currencies keep their own
number of decimals whatever the locale: yen never have any (``¥12,800``), dollars and euros two.
Stored timestamps are UTC; people read them in the desktop's local time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from PySide6.QtCore import QDate, QDateTime, QLocale, QTime

# ISO 4217 currencies without minor units that a shop here may plausibly bill in.
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX"})

# Symbols that read unambiguously next to a number; any other currency shows its ISO code.
_SYMBOLS = {
    "JPY": "¥",
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "CNY": "CN¥",
    "KRW": "₩",
}


def currency_decimals(currency: str) -> int:
    return 0 if currency.upper() in _ZERO_DECIMAL_CURRENCIES else 2


def format_money(amount: Decimal | None, currency: str, locale: QLocale | None = None) -> str:
    """``¥12,800``, ``$1,234.50``, ``1.234,50 €``: grouping and symbol placement per locale.

    None (no amount) gives an empty string. A negative amount carries the locale's minus sign
    rather than the accounting parentheses some locales use.
    """
    if amount is None:
        return ""
    loc = _for_people(locale)
    code = currency.upper()
    decimals = currency_decimals(code)
    rounded = amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    magnitude = abs(rounded)
    symbol = _SYMBOLS.get(code)
    if symbol is None:
        # A code reads well after the number in every locale (``1,234.50 CHF``).
        text = f"{_number(magnitude, decimals, loc)}\u00a0{code}"
    elif decimals == 0:
        text = loc.toCurrencyString(int(magnitude), symbol)
    else:
        # Amounts are NUMERIC(14, 2): a double holds every such value to the cent.
        text = loc.toCurrencyString(float(magnitude), symbol, decimals)
    return f"{loc.negativeSign()}{text}" if rounded < 0 else text


def _number(value: Decimal, decimals: int, locale: QLocale) -> str:
    if decimals == 0:
        return locale.toString(int(value))
    return locale.toString(float(value), "f", decimals)


def format_count(count: int, locale: QLocale | None = None) -> str:
    """A whole number with the locale's grouping: ``12,345``."""
    loc = _for_people(locale)
    return loc.toString(count)


def format_date(value: date | datetime | None, locale: QLocale | None = None) -> str:
    """The locale's short date (``3/3/25``, ``2025/03/03``); a timestamp in local time first."""
    if value is None:
        return ""
    loc = _for_people(locale)
    if isinstance(value, datetime):
        value = _local(value).date()
    return loc.toString(QDate(value.year, value.month, value.day), QLocale.FormatType.ShortFormat)


def format_datetime(value: datetime | None, locale: QLocale | None = None) -> str:
    """The locale's short date and time of a timestamp, in the desktop's time zone."""
    if value is None:
        return ""
    loc = _for_people(locale)
    local = _local(value)
    moment = QDateTime(
        QDate(local.year, local.month, local.day),
        QTime(local.hour, local.minute, local.second),
    )
    return loc.toString(moment, QLocale.FormatType.ShortFormat)


def _for_people(locale: QLocale | None) -> QLocale:
    """``locale``, or the default; the C locale (``LANG=C``) is meant for programs, not people
    (``16780¥``, no grouping), so English (United States) conventions stand in for it."""
    loc = locale if locale is not None else QLocale()
    if loc.language() == QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return loc


def _local(value: datetime) -> datetime:
    """A stored timestamp in local time; a naive one is taken as UTC, as the database keeps."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone()
