"""Errors a user can act on. Each carries a message meant to be shown as it is, in one line."""

from __future__ import annotations

from datetime import datetime


class CrmDeskError(Exception):
    """Base for every error crm-desk reports to a person instead of a traceback."""


class ConfigurationError(CrmDeskError):
    """The database URL, a path or a setting cannot be used."""


class SchemaError(CrmDeskError):
    """The database schema is newer than this program, or could not be upgraded."""


class NotFoundError(CrmDeskError):
    pass


class ValidationError(CrmDeskError):
    """A value is not one the field accepts."""


class PermissionDeniedError(CrmDeskError):
    """The acting agent's role does not allow this."""


class ConflictError(CrmDeskError):
    """Someone else got there first; the message names who."""


class AlreadyClaimedError(ConflictError):
    def __init__(self, ticket_id: int, owner_name: str, owner_email: str) -> None:
        super().__init__(f"ticket #{ticket_id} is already claimed by {owner_name} <{owner_email}>")
        self.ticket_id = ticket_id
        self.owner_name = owner_name
        self.owner_email = owner_email


class StaleEditError(ConflictError):
    def __init__(self, ticket_id: int, changed_by: str, changed_at: datetime) -> None:
        when = changed_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        super().__init__(
            f"ticket #{ticket_id} was changed by {changed_by} at {when}; reload and try again"
        )
        self.ticket_id = ticket_id
        self.changed_by = changed_by
        self.changed_at = changed_at
