"""Settings the whole team shares, kept in the database (``team_settings``).

Declared once here with their defaults; a missing row means the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from crm_desk.core import agents, changes
from crm_desk.errors import ValidationError
from crm_desk.store.models import Agent, TeamSetting, utcnow


@dataclass(frozen=True)
class TeamSettingSpec:
    key: str
    type: type
    default: Any
    label: str


SPECS: tuple[TeamSettingSpec, ...] = (
    TeamSettingSpec(
        "thread_token_pattern",
        str,
        r"\[#(\d+)\]",
        "Regular expression that finds a ticket number in a subject (group 1 is the number)",
    ),
    TeamSettingSpec(
        "thread_token_format", str, "[#{number}]", "Ticket token added to reply subjects"
    ),
    TeamSettingSpec(
        "reopen_closed_within_days",
        int,
        30,
        "A reply to a ticket closed longer ago than this opens a new, linked ticket",
    ),
    TeamSettingSpec(
        "form_mail_senders",
        list,
        [],
        "Addresses of web-form tools whose notification mail names the customer in its body",
    ),
    TeamSettingSpec(
        "form_mail_fields",
        dict,
        {},
        "Labels of form fields per contact field (name, name_kana, email, phone, company, "
        "message); empty: the common Japanese and English labels",
    ),
)
_BY_KEY = {spec.key: spec for spec in SPECS}


def get(session: Session, key: str) -> Any:
    spec = _BY_KEY[key]
    row = session.get(TeamSetting, key)
    if row is None or not isinstance(row.value, spec.type):
        return spec.default
    return row.value


def put(session: Session, actor: Agent | None, key: str, value: Any) -> None:
    """Change a team setting; a lead's job (``actor`` None: the local operator)."""
    if actor is not None:
        agents.require_lead(actor, "change team settings")
    spec = _BY_KEY.get(key)
    if spec is None:
        raise ValidationError(f"no team setting named {key!r}")
    if not isinstance(value, spec.type):
        raise ValidationError(f"{key} takes a {spec.type.__name__}")
    row = session.get(TeamSetting, key)
    if row is None:
        session.add(TeamSetting(key=key, value=value, updated_at=utcnow()))
    else:
        row.value, row.updated_at = value, utcnow()
    session.flush()
    changes.record(session, actor, entity="setting", entity_id=None, kind=f"setting.{key}")
