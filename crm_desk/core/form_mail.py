"""Web-form notification mail: the customer's details out of the body, not the form tool's From.

Many inquiry forms (WordPress Contact Form 7, formrun, Google Forms add-ons …) cannot post to
us; they send a notification mail from their own address with a body such as

    お名前：山田 太郎
    メールアドレス：taro@example.co.jp
    電話番号：03-1234-5678
    お問い合わせ内容：
    先日注文した商品について …

Filed as it is, every inquiry would belong to one "contact", the form tool. For a sender named in
the team setting ``form_mail_senders``, the body is read with a field map (the team setting
``form_mail_fields``, or the common Japanese and English labels below) and the ticket gets the
customer as its contact: matched or created from the form's e-mail address, with the name,
phone, company and reading filled in where the contact has none.

Labels are recognised in the usual shapes: ``お名前：値``, ``Name: value``, ``【お名前】値``,
``■お名前`` with the value on the next line; a multi-line field (the message) runs until the
next label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

FIELDS = ("name", "name_kana", "email", "phone", "company", "message")

DEFAULT_FIELD_LABELS: dict[str, list[str]] = {
    "name": ["お名前", "氏名", "名前", "ご氏名", "担当者名", "Name", "Your name", "Full name"],
    "name_kana": ["フリガナ", "ふりがな", "お名前(フリガナ)", "お名前(ふりがな)", "Kana"],
    "email": ["メールアドレス", "E-mail", "Email", "Mail", "メール", "Your email"],
    "phone": ["電話番号", "お電話番号", "電話", "TEL", "Phone", "Telephone"],
    "company": ["会社名", "御社名", "貴社名", "法人名", "Company", "Organization"],
    "message": [
        "お問い合わせ内容",
        "お問合せ内容",
        "ご用件",
        "ご質問",
        "内容",
        "Message",
        "Inquiry",
    ],
}

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_BULLETS = "■□●○◆◇・*-▼▽◎"


@dataclass(frozen=True)
class FormFields:
    email: str
    name: str | None = None
    name_kana: str | None = None
    phone: str | None = None
    company: str | None = None
    message: str | None = None


def _fold(text: str) -> str:
    """Compare labels loosely: width (ＮＡＭＥ, ﾌﾘｶﾞﾅ), case and spaces do not matter."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def _label_lookup(field_labels: Mapping[str, Sequence[str]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field, labels in field_labels.items():
        if field in FIELDS:
            for label in labels:
                lookup.setdefault(_fold(label), field)
    return lookup


def _split_label(line: str, lookup: dict[str, str]) -> tuple[str, str] | None:
    """(field, value) when ``line`` starts with a known label, else None."""
    text = line.strip().lstrip(_BULLETS).strip()
    if not text:
        return None
    bracketed = re.match(r"^[【\[［〔]([^】\]］〕]{1,40})[】\]］〕]\s*[:：]?\s*(.*)$", text)
    if bracketed:
        label, value = bracketed.group(1), bracketed.group(2)
    else:
        plain = re.match(r"^([^:：]{1,40}?)\s*[:：]\s*(.*)$", text)
        if plain:
            label, value = plain.group(1), plain.group(2)
        else:
            label, value = text, ""  # "■お名前" alone: the value is on the next line
    field = lookup.get(_fold(label))
    if field is None:
        return None
    return field, value.strip()


def parse_form_body(
    text: str, field_labels: Mapping[str, Sequence[str]] | None = None
) -> FormFields | None:
    """The fields of a form notification; None when it holds no usable e-mail address."""
    lookup = _label_lookup(field_labels or DEFAULT_FIELD_LABELS)
    values: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        found = _split_label(line, lookup)
        if found is not None:
            current, value = found
            values.setdefault(current, [])
            if value:
                values[current].append(value)
            continue
        if current is None:
            continue
        stripped = line.strip()
        if current == "message":
            values[current].append(line.rstrip())
        elif stripped and not values[current]:
            values[current].append(stripped)  # "■お名前\n山田 太郎"
        elif not stripped:
            current = None  # a blank line ends a one-line field's continuation
    email_text = " ".join(values.get("email", []))
    email = _EMAIL.search(unicodedata.normalize("NFKC", email_text))
    if email is None:
        return None

    def one(field: str) -> str | None:
        joined = " ".join(v.strip() for v in values.get(field, []) if v.strip())
        return joined[:300] or None

    message = "\n".join(values.get("message", [])).strip() or None
    return FormFields(
        email=email.group().lower(),
        name=one("name"),
        name_kana=one("name_kana"),
        phone=(one("phone") or "")[:64] or None,
        company=one("company"),
        message=message,
    )


def is_form_sender(address: str | None, senders: Sequence[str]) -> bool:
    return bool(address) and (address or "").strip().lower() in {s.lower() for s in senders}
