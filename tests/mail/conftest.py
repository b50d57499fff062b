"""Fixtures for the mail tests: a private Dovecot (one per session and xdist worker) and a
fresh IMAP account per test."""

from tests.support.dovecot import dovecot_server, mail_account

__all__ = ["dovecot_server", "mail_account"]
