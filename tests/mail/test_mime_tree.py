"""mime_tree.message_tree builds exactly the tree the email package's feed parser builds: on
every message of the test corpus, on the benchmark's generated mail, and on hand-made mail with
the shapes where cutting by boundary could go wrong (which must take the feed parser's path)."""

from __future__ import annotations

import email
from email.message import Message
from email.policy import compat32
from typing import Any

import pytest

from crm_desk.mail import mime_tree
from crm_desk.mail.mime_tree import message_tree
from tests.bench.ingest import corpus
from tests.mail.test_corpus import CORPUS, INDEX


def shape(message: Message) -> dict[str, Any]:
    """Everything a Message holds, its parts' too, defects by type."""
    state = {
        key: value
        for key, value in vars(message).items()
        if key not in ("_payload", "defects", "policy")
    }
    state["defects"] = [type(defect).__name__ for defect in message.defects]
    payload = message._payload  # type: ignore[attr-defined]  # get_payload() would decode it
    state["_payload"] = [shape(p) for p in payload] if isinstance(payload, list) else payload
    return state


def feed_parser_shape(raw: bytes) -> dict[str, Any]:
    return shape(email.message_from_bytes(raw, policy=compat32))


def took_fast_path(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> bool:
    calls: list[str] = []
    original = mime_tree._PARSER.parsestr

    def counting(text: str, headersonly: bool = False) -> Message:
        calls.append("headers" if headersonly else "whole")
        return original(text, headersonly)

    monkeypatch.setattr(mime_tree._PARSER, "parsestr", counting)
    message_tree(raw)
    monkeypatch.undo()
    return "whole" not in calls


@pytest.mark.parametrize("path", sorted(INDEX))
def test_same_tree_as_the_feed_parser_on_the_corpus(path: str) -> None:
    raw = (CORPUS / path).read_bytes()
    assert shape(message_tree(raw)) == feed_parser_shape(raw)


def test_generated_mail_is_cut_without_the_feed_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    raws = list(corpus(300))
    assert all(shape(message_tree(raw)) == feed_parser_shape(raw) for raw in raws)
    assert all(took_fast_path(raw, monkeypatch) for raw in raws[:50])


def mail(body: str, content_type: str = 'multipart/mixed; boundary="b"') -> bytes:
    return (
        f"From: a@example.com\r\nSubject: t\r\nContent-Type: {content_type}\r\n\r\n{body}".encode()
    )


PART = "Content-Type: text/plain\r\n\r\nhello\r\n"
INNER = (
    'Content-Type: multipart/alternative; boundary="bb"\r\n\r\n'
    f"inner preamble\r\n--bb\r\n{PART}--bb\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n"
    "--bb--\r\ninner epilogue\r\n"
)

# Shapes the fast path cuts itself.
CUT_HERE = {
    "simple": mail(f"--b\r\n{PART}--b--\r\n"),
    "preamble and epilogue": mail(f"This is MIME.\r\n\r\n--b\r\n{PART}--b--\r\n\r\nbye\r\n"),
    "nested": mail(f"--b\r\n{INNER}--b\r\n{PART}--b--\r\n"),
    "nested, empty epilogue": mail(f"--b\r\n{INNER.replace('inner epilogue', '')}--b--\r\n"),
    "whitespace after delimiters": mail(f"--b  \r\n{PART}--b-- \t\r\n"),
    "no line end at the end": mail(f"--b\r\n{PART}--b--"),
    "LF line ends": mail(f"--b\n{PART}--b--\n").replace(b"\r\n", b"\n"),
    "boundary as a prefix of a line": mail(f"--b\r\n{PART}--bx not a delimiter\r\n--b--\r\n"),
    "delimiter text inside a line": mail(
        "--b\r\nContent-Type: text/plain\r\n\r\nsee --b\r\n--b--\r\n"
    ),
    "part without headers": mail("--b\r\n\r\njust text\r\n--b--\r\n"),
    "part without body": mail("--b\r\nContent-Type: text/plain\r\n--b--\r\n"),
    "plain, not multipart": mail("line one\r\nline two\r\n", "text/plain; charset=utf-8"),
    "headers only": b"From: a@example.com\r\nSubject: only headers\r\n",
    "8-bit body": b"From: a@example.com\r\nContent-Type: text/plain\r\n\r\n\xe6\x97\xa5\r\n",
}
# Shapes only the feed parser may judge: the result must still be its tree.
FEED_PARSER = {
    "no close delimiter": mail(f"--b\r\n{PART}"),
    "no start delimiter": mail("no parts at all\r\n"),
    "close delimiter first": mail(f"--b--\r\n--b\r\n{PART}--b--\r\n"),
    "delimiters in a row": mail(f"--b\r\n--b\r\n{PART}--b--\r\n"),
    "no boundary": mail(f"--b\r\n{PART}--b--\r\n", "multipart/mixed"),
    "lone CR line ends": mail(f"--b\r{PART}--b--\r").replace(b"\r\n", b"\r"),
    "mixed line ends with a lone CR": mail(f"--b\r\n{PART}x\ry\r\n--b--\r\n"),
    "attached message": mail(
        "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n--b--\r\n"
    ),
    "digest": mail(f"--b\r\n{PART}--b--\r\n", 'multipart/digest; boundary="b"'),
    "base64 multipart": mail(
        f"--b\r\n{PART}--b--\r\n",
        'multipart/mixed; boundary="b"\r\nContent-Transfer-Encoding: base64',
    ),
    "missing blank line": b"From: a@example.com\r\nSubject: t\r\nthis line is body\r\n",
    "continuation first": b" folded\r\nFrom: a@example.com\r\n\r\nbody\r\n",
    "From line late in the headers": b"Subject: t\r\nFrom a@example.com Mon Jan 1\r\n\r\nbody\r\n",
    "too deep": b"".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\r\n\r\n--b{n}\r\n'.encode()
        for n in range(mime_tree.MAX_DEPTH + 2)
    )
    + PART.encode(),
}


@pytest.mark.parametrize("name", sorted(CUT_HERE))
def test_well_formed_shapes_are_cut_here(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = CUT_HERE[name]
    assert shape(message_tree(raw)) == feed_parser_shape(raw)
    assert took_fast_path(raw, monkeypatch)


@pytest.mark.parametrize("name", sorted(FEED_PARSER))
def test_odd_shapes_go_to_the_feed_parser(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = FEED_PARSER[name]
    assert shape(message_tree(raw)) == feed_parser_shape(raw)
    assert not took_fast_path(raw, monkeypatch)


def test_nested_parts_and_epilogues_come_out_as_the_feed_parser_has_them() -> None:
    tree = message_tree(CUT_HERE["nested"])
    first, second = parts(tree)
    plain, html = parts(first)
    assert [plain.get_content_type(), html.get_content_type()] == ["text/plain", "text/html"]
    assert plain.get_payload() == "hello"  # the CRLF before "--bb" belongs to the delimiter
    assert first.preamble == "inner preamble"
    assert first.epilogue == "inner epilogue"  # its CRLF belongs to the outer delimiter
    assert second.get_payload() == "hello" and tree.epilogue == ""


def parts(message: Message) -> list[Message]:
    payload = message.get_payload()
    assert isinstance(payload, list)
    return [part for part in payload if isinstance(part, Message)]
