"""The MIME tree of a raw message: ``email``'s own ``Message`` objects, built faster when it can.

Python's feed parser reads a message one line at a time, and for every multipart it compiles a
new regular expression from the boundary. Boundaries are unique per message, so the regex cache
never helps: on typical support mail the feed parser was about half of all parsing, and a
quarter of that was compiling those expressions.

Well-formed mail (consistent line ends, clean header blocks, every multipart opened and closed
by its boundary) is cut here with ``str.find`` instead, and each piece's headers go through the
very same header parser. The result is the tree the feed parser builds, object for object
(tests/mail/test_mime_tree.py compares both on every message of the test corpus). Anything
unusual (a defect of any kind, a ``message/*`` part, a lone CR, doubled delimiter lines, deep
nesting) is handed to the feed parser whole, so odd mail is parsed exactly as it always was.
"""

from __future__ import annotations

import re
from email.message import Message
from email.parser import Parser
from email.policy import compat32
from typing import NamedTuple

# email.feedparser's headerRE: a field, an mbox "From " line or a continuation.
_HEADER_LINE = re.compile(r"From |[\041-\071\073-\176]*:|[\t ]")
# What may follow "--boundary" on a delimiter line (email.feedparser's boundary expression).
_DELIMITER_TAIL = re.compile(r"(--)?[ \t]*(\r\n|\n)?")
# The feed parser is recursive too; past this, let it be the one to give up (or not).
MAX_DEPTH = 30
_PARSER = Parser(policy=compat32)
_PLAIN_TRANSFER_ENCODINGS = ("7bit", "8bit", "binary")


class _NotSimple(Exception):  # noqa: N818 - a signal between two methods, never raised out
    """The message needs the feed parser's judgement."""


class _Delimiter(NamedTuple):
    line_start: int
    next_line: int
    closing: bool


def message_tree(raw: bytes) -> Message:
    """What ``email.message_from_bytes(raw, policy=compat32)`` returns, usually sooner."""
    text = raw.decode("ascii", "surrogateescape")  # as email's BytesParser does
    # The feed parser takes a lone CR for a line end; str.find-based cutting does not.
    if text.count("\r") == text.count("\r\n"):
        try:
            return _Splitter(text).message(0, len(text), 0, part=False)
        except _NotSimple:
            pass
    return _PARSER.parsestr(text)


def _strip_line_end(value: str) -> str:
    """Without its last line end: RFC 2046 gives the CRLF before a delimiter to the delimiter."""
    if value.endswith("\r\n"):
        return value[:-2]
    if value.endswith("\n"):
        return value[:-1]
    return value


class _Splitter:
    def __init__(self, text: str) -> None:
        self.text = text

    def message(self, start: int, end: int, depth: int, *, part: bool) -> Message:
        """The message or MIME ``part`` in ``text[start:end]``.

        A part's last line end belongs to the delimiter after it (RFC 2046): it is left out of
        the part's body, or for a nested multipart, out of its epilogue.
        """
        if depth > MAX_DEPTH:
            raise _NotSimple
        head_end, body_start = self._header_block(start, end)
        message = _PARSER.parsestr(self.text[start:head_end], headersonly=True)
        # A defect, or a line the header parser handed back to the body (a late "From "):
        # the feed parser decides what those mean.
        if message.defects or message.get_payload():
            raise _NotSimple
        main_type = message.get_content_maintype()
        if main_type == "message":
            raise _NotSimple  # message/rfc822, delivery-status ...: parsed into sub-messages
        if main_type == "multipart":
            epilogue = self._multipart(message, body_start, end, depth)
            if part:
                message.epilogue = _strip_line_end(epilogue) if epilogue else None
            else:
                message.epilogue = epilogue
        else:
            body = self.text[body_start:end]
            message.set_payload(_strip_line_end(body) if part else body)
        return message

    def _header_block(self, start: int, end: int) -> tuple[int, int]:
        """Where the header block ends and where the body starts (after the blank line)."""
        text = self.text
        position = start
        while position < end:
            newline = text.find("\n", position, end)
            line_end = end if newline < 0 else newline + 1
            if text[position] == "\n" or text.startswith("\r\n", position):
                return position, line_end
            if not _HEADER_LINE.match(text, position, line_end):
                raise _NotSimple  # no blank line before the body: a defect
            position = line_end
        return end, end  # headers only

    def _multipart(self, message: Message, start: int, end: int, depth: int) -> str:
        """Give ``message`` the parts in ``text[start:end]``; returns the epilogue."""
        boundary = message.get_boundary()
        if boundary is None or message.get_content_type() == "multipart/digest":
            raise _NotSimple  # no boundary is a defect; a digest's parts default to messages
        encoding = str(message.get("content-transfer-encoding", "8bit")).lower()
        if encoding not in _PLAIN_TRANSFER_ENCODINGS:
            raise _NotSimple  # a defect too
        separator = "--" + boundary
        first = self._delimiter(separator, start, end)
        if first is None or first.closing:
            raise _NotSimple  # the feed parser notes a missing start boundary
        if first.line_start > start:
            message.preamble = _strip_line_end(self.text[start : first.line_start])
        parts: list[Message | str] = []
        position = first.next_line
        while True:
            found = self._delimiter(separator, position, end)
            if found is None:
                raise _NotSimple  # no close delimiter: a defect
            if found.line_start == position:
                raise _NotSimple  # delimiter lines in a row: the feed parser skips them
            parts.append(self.message(position, found.line_start, depth + 1, part=True))
            if found.closing:
                message.set_payload(parts)
                return self.text[found.next_line : end]
            position = found.next_line

    def _delimiter(self, separator: str, start: int, end: int) -> _Delimiter | None:
        """The first delimiter line ("--boundary" or "--boundary--") in ``text[start:end]``."""
        text = self.text
        position = start
        while True:
            found = text.find(separator, position, end)
            if found < 0:
                return None
            if found == start or text[found - 1] == "\n":
                tail = _DELIMITER_TAIL.match(text, found + len(separator), end)
                if tail is not None and (tail.group(2) or tail.end() == end):
                    return _Delimiter(found, tail.end(), tail.group(1) is not None)
            position = found + 1
