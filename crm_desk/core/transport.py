"""Connection policy shared by the mailbox services and the IMAP client: TLS modes, loopback.

Free of the database layer, so the sync's fetch-and-parse children can import it cheaply.
"""

from __future__ import annotations

import ipaddress

TLS_MODES = ("ssl", "starttls", "none")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (the only place a password may go without TLS)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
