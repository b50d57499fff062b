"""Index terms: how text is cut into search tokens (see ``core.search`` for why).

Pure functions with no database dependency, so a parser process can tokenize mail without
importing the store.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Hiragana, katakana with the prolonged sound mark ー (but not the middle dot ・ U+30FB, which is
# punctuation and would be dropped by the engines' own tokenizers), CJK unified ideographs and
# extension A, compatibility ideographs (﨑), and the iteration marks 々 〆.
_CJK_CLASS = (
    "\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006"
)
TOKEN_RUN = re.compile(rf"[{_CJK_CLASS}]+|[^\W_{_CJK_CLASS}]+")
_CJK_START = re.compile(rf"[{_CJK_CLASS}]")
# The same runs, told apart by group: (cjk, "") or ("", word).
_RUN_KINDS = re.compile(rf"([{_CJK_CLASS}]+)|([^\W_{_CJK_CLASS}]+)")


def normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).lower()


def is_cjk(run: str) -> bool:
    return _CJK_START.match(run) is not None


def bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokenize(value: str) -> Iterator[str]:
    """The index terms of ``value``, in order (see the module docstring)."""
    for match in TOKEN_RUN.finditer(normalise(value)):
        run = match.group()
        if is_cjk(run):
            yield from bigrams(run)
            if len(run) > 1:
                yield run[-1]  # so a one-character query (a prefix) finds the run's last char
        else:
            yield run


def index_text(*parts: str | None) -> str:
    """The ``search_docs.body`` for these pieces of text: ``tokenize`` of each, joined.

    Written out rather than built on ``tokenize``: every ingested message goes through here,
    and a list filled from ``findall`` is several times faster than a generator per token.
    """
    terms: list[str] = []
    append, extend = terms.append, terms.extend
    for part in parts:
        if not part:
            continue
        for cjk, word in _RUN_KINDS.findall(normalise(part)):
            if word:
                append(word)
            elif len(cjk) == 1:
                append(cjk)
            else:
                extend([cjk[i : i + 2] for i in range(len(cjk) - 1)])
                append(cjk[-1])
    return " ".join(terms)
