"""How much work one message may cost, and the error for a message that cannot be parsed.

A mail that breaks a limit is not dropped: the caller quarantines its raw bytes and shows the
reason. The time limit is checked while walking the parts, never with signals, so any thread
may parse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from crm_desk.errors import CrmDeskError

MIB = 1024 * 1024


class ParseFailure(CrmDeskError):  # noqa: N818 - the name the ingest code and issue use
    """A message broke a limit or could not be parsed at all; ``reason`` is one line for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ParseLimits:
    max_bytes: int = 25 * MIB
    max_depth: int = 20  # nesting of multiparts and attached messages
    max_parts: int = 500  # MIME parts, attached messages' parts included
    max_seconds: float = 5.0


DEFAULT_LIMITS = ParseLimits()


def megabytes(size: int) -> str:
    """``31.2`` or ``25``: sizes the way the reasons show them (1 MB = 1 MiB)."""
    return f"{size / MIB:.1f}".removesuffix(".0")


def check_size(size: int, limits: ParseLimits) -> None:
    if size > limits.max_bytes:
        raise ParseFailure(
            f"message is {megabytes(size)} MB; the limit is {megabytes(limits.max_bytes)} MB"
        )


class Budget:
    """Counts parts and watches the clock during one parse."""

    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits
        self.parts = 0
        self._deadline = time.monotonic() + limits.max_seconds

    def part(self, depth: int) -> None:
        """Account for one more MIME part at nesting ``depth`` (the top level is 0)."""
        self.parts += 1
        if depth > self.limits.max_depth:
            raise ParseFailure(f"message is nested more than {self.limits.max_depth} levels deep")
        if self.parts > self.limits.max_parts:
            raise ParseFailure(f"message has more than {self.limits.max_parts} parts")
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self._deadline:
            raise ParseFailure(f"parsing took longer than {self.limits.max_seconds:g} s")
