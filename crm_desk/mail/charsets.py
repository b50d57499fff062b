"""Bytes and header values to text, with Japanese legacy encodings done right.

Mail in Japan still arrives as ISO-2022-JP ("JIS"), Shift_JIS and EUC-JP, and senders routinely
use characters the standards do not have: the NEC special characters (①, ㈱, №), the IBM
extensions (髙, 﨑) and half-width katakana. Python's ``iso2022_jp`` codec rejects all of them,
so ISO-2022-JP is transcoded here to Shift_JIS bytes and decoded with ``cp932``, Microsoft's
superset that has every one of them. Labels are often wrong (Shift_JIS sent as ISO-2022-JP,
bogus names such as ``fakescii``): then the text is detected, and a short note says so.

Nothing here raises on bad input: the worst case is U+FFFD replacement characters plus a note.
"""

from __future__ import annotations

import binascii
import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

import charset_normalizer


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    note: str | None = None  # None when the declared charset decoded cleanly


# --- charset labels ---------------------------------------------------------------------------

_JIS = "iso-2022-jp"
_SJIS = "cp932"
_EUC = "euc-jp"

# Japanese labels Python's codec registry does not know; the ones it knows (iso-2022-jp-2,
# csISO2022JP, sjis, ms_kanji, ujis ...) are resolved through it. Each goes to one of the three
# Japanese routes of this module. Windows senders put cp932 characters (①, ㈱, 髙) under every
# Shift_JIS label, so Shift_JIS always means cp932.
_JAPANESE_LABELS = {
    "iso-2022-jp-ms": _JIS,
    "cp50220": _JIS,
    "cp50221": _JIS,
    "cp50222": _JIS,
    "x-sjis": _SJIS,
    "windows-31j": _SJIS,
    "x-ms-cp932": _SJIS,
    "cp943": _SJIS,
    "ibm-943": _SJIS,
    "x-euc-jp": _EUC,
    "cseucpkdfmtjapanese": _EUC,
    "cp51932": _EUC,
    "euc-jp-ms": _EUC,
    "eucjp-ms": _EUC,
    "eucjp-win": _EUC,
}
# Other labels seen in real mail that Python's registry does not know.
_OTHER_LABELS = {"unicode-1-1-utf-7": "utf_7", "x-unicode-2-0-utf-7": "utf_7", "cp-850": "cp850"}

# Supersets a sender means even when it names the subset (the WHATWG Encoding Standard does the
# same): Chinese and Korean mail uses GBK / UHC characters under the older names, and
# "iso-8859-1" mail from Windows contains cp1252 quotes and dashes.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "iso8859_1": "cp1252",
    "iso8859_9": "cp1254",
    "tis_620": "cp874",
    "iso8859_11": "cp874",
}

# Codecs that exist in Python but are no text charset any mail could be in.
_NOT_MAIL_CODECS = {"undefined", "unicode_escape", "raw_unicode_escape", "idna", "punycode"}

# Single-byte Western labels: valid UTF-8 with multi-byte sequences under one of these is a
# mislabel (the chance of Latin text forming valid UTF-8 sequences by accident is negligible).
_SINGLE_BYTE = {"ascii", "cp1252", "iso8859_15", "iso8859_2", "cp1250", "iso8859_3", "iso8859_4"}

# Codecs whose pure-ASCII input may still mean something other than ASCII.
_NOT_ASCII_BASED = {"utf_7", "hz", "iso2022_kr", "utf_16", "utf_16_le", "utf_16_be", "utf_32"}
_NOT_ASCII_BASED |= {"utf_32_le", "utf_32_be"}

_DISPLAY = {
    "utf_8": "utf-8",
    "utf_8_sig": "utf-8",
    "ascii": "us-ascii",
    "cp1252": "windows-1252",
    "cp1251": "windows-1251",
    "cp1250": "windows-1250",
    "koi8_r": "koi8-r",
    "gb18030": "gb18030",
    "big5": "big5",
    "cp949": "euc-kr",
}


def _display(codec: str) -> str:
    return _DISPLAY.get(codec, codec.replace("_", "-"))


def _clean_label(declared: str) -> str:
    # Seen in the wild: quotes, trailing backslashes, RFC 2231 language suffixes, whitespace.
    label = declared.strip().strip("\"'").strip().rstrip("\\").lower()
    return label.split("*", 1)[0].strip()


@lru_cache(maxsize=256)
def _resolve(label: str) -> str | None:
    """The route for a cleaned label: a Japanese route name, a Python codec name, or None."""
    if label in _JAPANESE_LABELS:
        return _JAPANESE_LABELS[label]
    label = _OTHER_LABELS.get(label, label)
    if not (label.isascii() and label.isprintable()):
        return None  # codecs.lookup() raises on NUL and surrogates; no charset has them
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    name = info.name.replace("-", "_")  # the registry mixes "iso8859-1" and "euc_kr"
    if name.startswith("iso2022_jp"):
        return _JIS
    if name in ("shift_jis", "cp932"):
        return _SJIS
    if name == "euc_jp":
        return _EUC
    if name in _NOT_MAIL_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    return _SUPERSETS.get(name, name)


# --- ISO-2022-JP → cp932 ----------------------------------------------------------------------

_ASCII, _ROMAN, _KANA, _X0208, _X0212, _X0213_1, _X0213_2, _GB2312, _KSC5601 = range(9)

# The escape sequences (after ESC) and the character set each one selects.
_DESIGNATIONS = {
    b"(B": _ASCII,
    b"(J": _ROMAN,  # JIS X 0201 Roman: ASCII but ¥ and ‾ at 0x5C and 0x7E
    b"(H": _ROMAN,  # an old, wrong name for JIS X 0201 Roman
    b"(I": _KANA,  # JIS X 0201 katakana (half-width)
    b"$@": _X0208,  # JIS C 6226-1978; close enough to X 0208 for every character still in use
    b"$B": _X0208,
    b"$(@": _X0208,
    b"$(B": _X0208,
    b"$(D": _X0212,
    b"$(O": _X0213_1,
    b"$(Q": _X0213_1,
    b"$(P": _X0213_2,
    b"$A": _GB2312,  # ISO-2022-JP-2
    b"$(C": _KSC5601,  # ISO-2022-JP-2
}
_DESIGNATION_RE = re.compile(rb"\$\([@BDOPQC]|\$[@AB]|\([BJHI]")
_ESCAPE_TAIL = re.compile(rb"[\x20-\x2f]*[\x30-\x7e]?")
_ROMAN_TEXT = str.maketrans({"\\": "\u00a5", "~": "\u203e"})
_ESC_JIS_RE = re.compile(rb"\x1b(?:\$[@B]|\$\([@BDOPQ]|\(I)")


def _lead_table() -> bytes:
    table = bytearray(range(256))
    for j1 in range(0x21, 0x7F):
        s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
        # Rows 85-88 are empty in JIS X 0208 and land on Shift_JIS 0xEB/0xEC, which cp932 leaves
        # undefined. au (KDDI) phones put their emoji there; au's own Shift_JIS form is 0x0B
        # rows higher, in the user-defined area that cp932 decodes to au's private-use code
        # points. So those rows become private-use characters instead of U+FFFD.
        if s1 in (0xEB, 0xEC):
            s1 += 0x0B
        table[j1] = s1
    return bytes(table)


def _trail_table() -> bytes:
    # Indexed by the second JIS byte, plus 0x80 when the first byte is even.
    table = bytearray(range(256))
    for j2 in range(0x21, 0x7F):
        table[j2] = j2 + 0x1F + (1 if j2 >= 0x60 else 0)  # odd rows: skip 0x7F
        table[j2 | 0x80] = j2 + 0x7E
    return bytes(table)


_LEAD = _lead_table()
_TRAIL = _trail_table()
_EVEN_FLAG = bytes(0x80 if b % 2 == 0 else 0 for b in range(256))
_TO_KANA = bytes((b + 0x80) if 0x21 <= b <= 0x5F else b for b in range(256))
_GRAPHIC_RUNS = re.compile(rb"([\x21-\x7e]+)|([^\x21-\x7e]+)")
_SO_SI = re.compile(rb"\x0e([^\x0f]*)\x0f?")

# cp932 maps six JIS X 0208 characters to other code points than the JIS standard (and Python's
# iso2022_jp, shift_jis and euc_jp codecs) do: 〜 becomes ～, − becomes －, and so on. Mapped
# back, so the same text from a JIS, an EUC-JP and a Windows sender is the same string.
_JIS_STANDARD = str.maketrans(
    {
        "\uff5e": "\u301c",
        "\u2225": "\u2016",
        "\uff0d": "\u2212",
        "\uffe0": "\u00a2",
        "\uffe1": "\u00a3",
        "\uffe2": "\u00ac",
    }
)


def _jis_to_sjis(pairs: bytes) -> bytes:
    """JIS X 0208 row/cell byte pairs to Shift_JIS byte pairs, all at once.

    The lead byte depends on the row only, the trail byte on the cell and the row's parity; both
    are table lookups, done with bytes.translate over the even and odd bytes, so that long JIS
    bodies convert at C speed instead of one Python step per character."""
    first, second = pairs[0::2], pairs[1::2]
    flags = first.translate(_EVEN_FLAG)
    size = len(second)
    keyed = (int.from_bytes(second, "big") | int.from_bytes(flags, "big")).to_bytes(size, "big")
    out = bytearray(size * 2)
    out[0::2] = first.translate(_LEAD)
    out[1::2] = keyed.translate(_TRAIL)
    return bytes(out)


class _JisDecoder:
    """Decodes one ISO-2022-JP byte string; collects what went wrong for the note."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.sjis = bytearray()  # pending bytes in cp932 (ASCII, kana, X 0208)
        self.problems: set[str] = set()

    def decode(self, data: bytes) -> str:
        chunks = data.split(b"\x1b")
        self._single_byte(chunks[0], _ASCII)
        mode = _ASCII
        for chunk in chunks[1:]:
            match = _DESIGNATION_RE.match(chunk)
            if match is None:
                # ESC N / ESC . A (ISO-2022-JP-2 single shifts) or a stray escape: skip the
                # sequence (ISO 2022: intermediates 0x20-0x2F, one final byte), keep the set.
                self.problems.add("stray escape sequence")
                tail = _ESCAPE_TAIL.match(chunk)
                body = chunk[tail.end() if tail else 0 :]
            else:
                mode = _DESIGNATIONS[match.group()]
                body = chunk[match.end() :]
            if mode == _ROMAN and (b"\\" in body or b"~" in body):
                self._flush()
                self.parts.append(body.decode("ascii", "replace").translate(_ROMAN_TEXT))
            elif mode in (_ASCII, _ROMAN, _KANA):
                self._single_byte(body, mode)
            else:
                self._double_byte(body, mode)
        self._flush()
        return "".join(self.parts)

    def _single_byte(self, body: bytes, mode: int) -> None:
        if mode == _KANA:
            body = body.translate(_TO_KANA)
        elif b"\x0e" in body:
            # SO ... SI: the other way to send half-width katakana in 7 bits.
            body = _SO_SI.sub(lambda m: m.group(1).translate(_TO_KANA), body)
        # 8-bit bytes have no place in JIS; passed on, cp932 reads them as the Shift_JIS they
        # almost always are when a sender mixes the two.
        self.sjis += body

    def _double_byte(self, body: bytes, mode: int) -> None:
        for graphic, other in _GRAPHIC_RUNS.findall(body):
            if other:
                # Line breaks and spaces inside a double-byte run: a sender forgot to switch
                # back before the end of the line. Keep them and stay in the set.
                self.sjis += other
                continue
            pairs, stray = (graphic[:-1], graphic[-1:]) if len(graphic) % 2 else (graphic, b"")
            if stray:
                self.problems.add("truncated double-byte character")
            if mode == _X0208:
                self.sjis += _jis_to_sjis(pairs)
            else:
                self._flush()
                self.parts.append(_decode_other_set(pairs, mode, self.problems))
            self.sjis += stray

    def _flush(self) -> None:
        if not self.sjis:
            return
        raw = bytes(self.sjis)
        self.sjis.clear()
        try:
            text = raw.decode("cp932")
        except UnicodeDecodeError:
            self.problems.add("undecodable bytes replaced")
            text = raw.decode("cp932", "replace")
        self.parts.append(text.translate(_JIS_STANDARD))


def _decode_other_set(graphic: bytes, mode: int, problems: set[str]) -> str:
    # The rarer 94x94 sets, through the EUC form of each (high bit set; 0x8F for a second plane).
    high = bytes(b | 0x80 for b in graphic)
    if mode in (_X0212, _X0213_2):
        high = b"".join(b"\x8f" + high[i : i + 2] for i in range(0, len(high), 2))
    codec = {
        _X0212: "euc_jp",
        _X0213_1: "euc_jis_2004",
        _X0213_2: "euc_jis_2004",
        _GB2312: "gb18030",
        _KSC5601: "cp949",
    }[mode]
    try:
        return high.decode(codec)
    except UnicodeDecodeError:
        problems.add("undecodable bytes replaced")
        return high.decode(codec, "replace")


def _decode_jis(data: bytes) -> tuple[str, str | None]:
    decoder = _JisDecoder()
    text = decoder.decode(data)
    return text, "; ".join(sorted(decoder.problems)) or None


# --- Shift_JIS and EUC-JP ---------------------------------------------------------------------


def _strict_sjis(data: bytes) -> str | None:
    try:
        return data.decode("cp932").translate(_JIS_STANDARD)
    except UnicodeDecodeError:
        return None


def _euc_via_cp932(data: bytes) -> bytes | None:
    """EUC-JP with the NEC and IBM rows (cp51932, eucJP-ms) as Shift_JIS bytes, or None."""
    out = bytearray()
    i, size = 0, len(data)
    while i < size:
        byte = data[i]
        if byte < 0x80:
            out.append(byte)
            i += 1
        elif byte == 0x8E and i + 1 < size and 0xA1 <= data[i + 1] <= 0xDF:
            out.append(data[i + 1])  # half-width katakana
            i += 2
        elif 0xA1 <= byte <= 0xFE and i + 1 < size and 0xA1 <= data[i + 1] <= 0xFE:
            out += _jis_to_sjis(bytes((byte & 0x7F, data[i + 1] & 0x7F)))
            i += 2
        else:
            return None  # JIS X 0212 (0x8F) or not EUC at all
    return bytes(out)


def _strict_euc(data: bytes) -> str | None:
    try:
        return data.decode("euc_jp")
    except UnicodeDecodeError:
        pass
    sjis = _euc_via_cp932(data)
    return None if sjis is None else _strict_sjis(sjis)


# --- detection --------------------------------------------------------------------------------


_HALF_KANA = re.compile(r"[\uff61-\uff9f]")
_FULL_JAPANESE = re.compile(r"[\u3000-\u33ff\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]")
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
_KANA_RE = re.compile(r"[\u3041-\u30ff]")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# Characters of JIS rows 1, 2, 6, 7, 8 and 13 outside the CJK blocks: symbols, Greek, Cyrillic.
_JIS_SYMBOLS = re.compile(
    r"[\u00a7\u00a8\u00b0\u00b1\u00b4\u00b6\u00d7\u00f7\u0391-\u03c9\u0401-\u0451"
    r"\u2010-\u27ff]"
)


def _japanese_score(text: str) -> float:
    """How much the non-ASCII part of ``text`` looks like Japanese: 0.0 (not at all) to 1.0.

    Latin text read as Shift_JIS turns an accented letter (with the next byte) into one kanji or
    a lone half-width katakana between ASCII letters ("Universit葉"); Chinese read as Shift_JIS
    becomes half-width katakana mixed with kanji in one run ("ｺﾕ銧衫"). Japanese comes in runs of
    one kind. So a character counts only inside a run of two or more that is not such a mix,
    and any character outside the Japanese blocks rules the text out. Private-use characters
    (carrier emoji) count only beside real kana."""
    runs = _NON_ASCII_RUN.findall(text)
    total = sum(len(run) for run in runs)
    if not total:
        return 0.0
    kana = len(_KANA_RE.findall(text))
    good = 0
    for run in runs:
        full = len(_FULL_JAPANESE.findall(run))
        half = len(_HALF_KANA.findall(run))
        private = len(_PRIVATE_USE.findall(run))
        symbols = len(_JIS_SYMBOLS.findall(run))
        if full + half + private + symbols < len(run):
            return 0.0  # something no Japanese encoding would produce here
        if len(run) >= 2 and not (half and (full or private)) and (kana >= 2 or not private):
            good += len(run)
    score = good / total
    return min(1.0, score + 0.25) if kana >= 2 else score


def _detect_japanese(data: bytes) -> tuple[str, str] | None:
    best: tuple[float, int, str, str] | None = None
    for codec, decode in ((_SJIS, _strict_sjis), (_EUC, _strict_euc)):
        text = decode(data)
        if text is None:
            continue
        kana = len(_KANA_RE.findall(text))
        if codec == _EUC and kana < 2:
            continue  # kanji-only EUC-JP cannot be told from GB2312: leave it to the detector
        score = _japanese_score(text)
        candidate = (score, kana, codec, text)
        if score >= 0.8 and (best is None or candidate[:2] > best[:2]):
            best = candidate
    return None if best is None else (best[3], best[2])


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xef][\x80-\xbf]{2}"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf4][\x80-\xbf]{3}"
)


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a few bytes that are not: typically a Latin-1 quote pasted into UTF-8 text."""
    sequences = _UTF8_SEQUENCE.findall(data)
    if not sequences:
        return False
    valid_bytes = sum(map(len, sequences))
    high_bytes = len(data) - len(data.translate(None, bytes(range(0x80, 0x100))))
    return high_bytes - valid_bytes <= valid_bytes // 2


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Invalid bytes inside UTF-8: a lone 8-bit byte is a windows-1252 letter ("Grüße" pasted
    into UTF-8 text); a lead byte with its continuation bytes is a truncated UTF-8 character,
    which stays U+FFFD."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    if error.end - error.start > 1:
        return "\ufffd", error.end
    return error.object[error.start : error.end].decode("cp1252", "replace"), error.end


codecs.register_error("crm_desk.cp1252", _cp1252_fallback)


_CJK_TEXT = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff01-\uff60]")
_CJK_CODECS = ["gb18030", "big5", "cp949"]


def _detect_chinese_korean(data: bytes) -> tuple[str, str] | None:
    """GBK, Big5 or UHC text, when the bytes read as a run of at least four CJK characters.

    Shorter samples are not evidence: four Latin-1 letters are two valid hanzi as often as not."""
    plausible: dict[str, str] = {}
    for codec in _CJK_CODECS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        runs = _NON_ASCII_RUN.findall(text)
        cjk = sum(len(run) for run in runs if len(run) >= 2 and _CJK_TEXT.fullmatch(run[0]))
        if codec == "cp949" and len(runs) < 2:
            continue  # Korean separates words by spaces; one long run is GBK or Big5 read as UHC
        if all(len(_CJK_TEXT.findall(run)) == len(run) for run in runs) and cjk >= 4:
            plausible[codec] = text
    if len(plausible) > 1:
        match = charset_normalizer.from_bytes(data[:65536], cp_isolation=list(plausible)).best()
        if match is not None and match.encoding in plausible:
            return plausible[match.encoding], match.encoding
    return next(((text, codec) for codec, text in plausible.items()), None)


# charset-normalizer decides among the single-byte charsets a support desk receives unlabelled;
# with every code page allowed, short texts come back as Central European or Korean.
_DETECT_CANDIDATES = ["cp1252", "cp1251", "koi8_r", "iso8859_7"]
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")


def _detect_single_byte(data: bytes) -> tuple[str, str] | None:
    """Western text has its accented letters one by one among ASCII ones ("Café crème"), which
    is too little for charset-normalizer to judge; Cyrillic and Greek words are all 8-bit."""
    runs = _HIGH_RUN.findall(data)
    clustered = sum(len(run) for run in runs if len(run) >= 3)
    if clustered * 2 >= sum(map(len, runs)):
        match = charset_normalizer.from_bytes(data[:65536], cp_isolation=_DETECT_CANDIDATES).best()
        if match is not None and match.encoding:
            try:
                return data.decode(match.encoding), match.encoding
            except (UnicodeDecodeError, LookupError):
                pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return None


_MIXED = "utf-8 mixed with windows-1252"


def _detect(data: bytes) -> tuple[str, str, bool]:
    """Text, the charset it was read as, and whether bytes had to be replaced."""
    if data.isascii():
        if _ESC_JIS_RE.search(data):
            text, problem = _decode_jis(data)
            return text, _JIS, problem is not None
        return data.decode("ascii"), "ascii", False
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", "replace")
        return text, "utf_8", "\ufffd" in text
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", "replace")
        return text, "utf_16", "\ufffd" in text
    try:
        return data.decode("utf-8"), "utf_8", False
    except UnicodeDecodeError:
        pass
    if b"\x1b$" in data:
        # JIS with 8-bit Shift_JIS mixed in: the JIS route passes 8-bit bytes to cp932.
        text, problem = _decode_jis(data)
        return text, _JIS, problem is not None
    japanese = _detect_japanese(data)
    if japanese is not None:
        return japanese[0], japanese[1], False
    if _mostly_utf8(data):
        return data.decode("utf-8", "crm_desk.cp1252"), _MIXED, False
    chinese_korean = _detect_chinese_korean(data)
    if chinese_korean is not None:
        return chinese_korean[0], chinese_korean[1], False
    single_byte = _detect_single_byte(data)
    if single_byte is not None:
        return single_byte[0], single_byte[1], False
    return data.decode("utf-8", "replace"), "utf_8", True


# --- decode_text ------------------------------------------------------------------------------


def _with_replacement(note: str, replaced: bool) -> str:
    return f"{note}; undecodable bytes replaced" if replaced else note


def _detected(data: bytes, prefix: str) -> Decoded:
    text, codec, replaced = _detect(data)
    return Decoded(text, _with_replacement(f"{prefix}, detected {_display(codec)}", replaced))


def _decode_declared_jis(data: bytes) -> Decoded:
    if data.isascii():
        text, problem = _decode_jis(data)
        return Decoded(text, None if problem is None else f"iso-2022-jp: {problem}")
    if b"\x1b" not in data:
        # 8-bit bytes and no escape: not JIS at all, typically Shift_JIS from a phone.
        text, codec, replaced = _detect(data)
        note = f"declared iso-2022-jp, decoded as {_display(codec)}"
        return Decoded(text, _with_replacement(note, replaced))
    text, problem = _decode_jis(data)
    note = "iso-2022-jp with 8-bit bytes, read as cp932"
    return Decoded(text, f"{note}; {problem}" if problem else note)


def _decode_fallback(data: bytes, label: str, codec: str) -> Decoded:
    """The declared charset failed strictly: a mislabel, or a few broken bytes."""
    if codec != "utf_8":
        try:
            return Decoded(data.decode("utf-8"), f"declared {label}, decoded as utf-8")
        except UnicodeDecodeError:
            pass
    if _mostly_utf8(data):
        return Decoded(
            data.decode("utf-8", "crm_desk.cp1252"), f"declared {label}, read as {_MIXED}"
        )
    lenient = data.decode(codec, "replace")
    if lenient.count("\ufffd") * 10 <= sum(map(len, _NON_ASCII_RUN.findall(lenient))):
        # Mostly right (a truncated character, a stray byte): keep the declared charset.
        return Decoded(lenient, f"declared {label}; undecodable bytes replaced")
    text, found, replaced = _detect(data)
    if replaced:
        return Decoded(lenient, f"declared {label}; undecodable bytes replaced")
    return Decoded(text, f"declared {label}, decoded as {_display(found)}")


def decode_text(data: bytes, declared: str | None, *, hint: str | None = None) -> Decoded:
    """Decode ``data`` that its sender says is in charset ``declared``; never raises.

    ``hint`` is the charset the rest of the message is declared in, tried (after strict UTF-8)
    when ``declared`` is missing: a better guess than any detector on a few 8-bit bytes."""
    label = _clean_label(declared) if declared else ""
    if not label or label in ("none", "unknown", "x-unknown", "unknown-8bit", "default"):
        if data.isascii() and b"\x1b" not in data:
            return Decoded(data.decode("ascii"))
        if hint and _resolve(_clean_label(hint)) not in (None, "utf_8"):
            try:
                return Decoded(data.decode("utf-8"), "no charset, detected utf-8")
            except UnicodeDecodeError:
                pass
            decoded = decode_text(data, hint)
            if decoded.note is None:
                note = f"no charset, read as {_clean_label(hint)} like the rest of the message"
                return Decoded(decoded.text, note)
        return _detected(data, "no charset")
    route = _resolve(label)
    if route is None:
        if data.isascii() and b"\x1b" not in data:
            return Decoded(data.decode("ascii"), f"unknown charset {label!r}, read as us-ascii")
        return _detected(data, f"unknown charset {label!r}")
    if route == _JIS:
        return _decode_declared_jis(data)
    if b"\x1b" in data and route not in _NOT_ASCII_BASED and _ESC_JIS_RE.search(data):
        # JIS escapes under an ASCII or UTF-8 label: old Japanese mailers label it so.
        text, problem = _decode_jis(data)
        note = f"declared {label}, decoded as iso-2022-jp"
        return Decoded(text, f"{note}; {problem}" if problem else note)
    if data.isascii() and b"\x1b" not in data and route not in _NOT_ASCII_BASED:
        return Decoded(data.decode("ascii"))  # the common case, and the fast one
    if route == _SJIS:
        sjis = _strict_sjis(data)
        if sjis is None and (japanese := _detect_japanese(data)) is not None:
            return Decoded(japanese[0], f"declared {label}, decoded as {_display(japanese[1])}")
        return Decoded(sjis) if sjis is not None else _decode_fallback(data, label, "cp932")
    if route == _EUC:
        euc = _strict_euc(data)
        return Decoded(euc) if euc is not None else _decode_fallback(data, label, "euc_jp")
    if route in _SINGLE_BYTE:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return Decoded(text, f"declared {label}, decoded as utf-8")
        if route == "ascii":
            return _detected(data, "declared us-ascii with 8-bit bytes")
    try:
        return Decoded(data.decode(route))
    except UnicodeDecodeError:
        if route == "cp1252":
            # The five bytes cp1252 leaves undefined: plain ISO-8859-1 after all.
            return Decoded(data.decode("latin-1"))
        return _decode_fallback(data, label, route)


# --- headers (RFC 2047) -----------------------------------------------------------------------

_FOLD = re.compile(rb"\r?\n(?=[ \t])")
# What makes an ASCII header value more than its text: encoded words, JIS escapes, folding.
_NEEDS_DECODING = re.compile(r"=\?|[\x1b\r\n]")
_BYTES_WHITESPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() strips (str.strip() strips more)
_LINE_BREAK = re.compile(rb"[\r\n]+")
_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def _b64decode(chars: bytes) -> bytes:
    """Lenient base64 of characters already stripped of padding and junk."""
    extra = len(chars) % 4
    if extra == 1:
        chars = chars[:-1]  # a lone sextet carries no whole byte
    elif extra:
        chars += b"=" * (4 - extra)
    try:
        return binascii.a2b_base64(chars)
    except binascii.Error:
        return b""


def _decode_run(words: list[tuple[bytes, bytes]]) -> bytes:
    """The bytes of adjacent encoded words in one charset, joined before any charset decoding.

    Senders split a multi-byte character between two words, and some even split the base64
    text in the middle of a 4-character group. So base64 text is carried over to the next word
    until a group is complete or the word was padded."""
    out = bytearray()
    pending = b""
    for encoding, payload in words:
        if encoding in b"bB":
            pending += _NOT_BASE64.sub(b"", payload)
            if payload.rstrip().endswith(b"=") or len(pending) % 4 == 0:
                out += _b64decode(pending)
                pending = b""
        else:
            out += _b64decode(pending)
            pending = b""
            out += binascii.a2b_qp(payload, header=True)
    out += _b64decode(pending)
    return bytes(out)


def _decode_literal(data: bytes, hint: str | None) -> Decoded:
    if data.isascii():
        if b"\x1b" in data and _ESC_JIS_RE.search(data):
            return Decoded(_decode_jis(data)[0])  # raw JIS: its escapes say what it is
        return Decoded(data.decode("ascii"))
    try:
        return Decoded(data.decode("utf-8"))  # RFC 6532 allows raw UTF-8 in headers
    except UnicodeDecodeError:
        pass
    route = _resolve(_clean_label(hint)) if hint else None
    if route in _MULTI_BYTE_HINTS:
        decoded = decode_text(data, hint)
        if decoded.note is None:
            return Decoded(decoded.text, f"raw 8-bit header, read as {_display(route or '')}")
    return _detected(data, "raw 8-bit header, no charset")


_FOLD_STR = re.compile(r"\r?\n(?=[ \t])")


def unfold(raw: str) -> str:
    """A header value on one line: folding line breaks removed, the whitespace after them kept."""
    if "\n" not in raw and "\r" not in raw:
        return raw
    return _FOLD_STR.sub("", raw).replace("\r", "").replace("\n", " ")


# A message's body charset is what its raw 8-bit headers are most likely in too (mail clients
# use it the same way), but only a multi-byte one is evidence: any bytes decode as Latin-1.
_MULTI_BYTE_HINTS = {_SJIS, _EUC, _JIS, "gb18030", "big5", "big5hkscs", "cp949", "cp950"}


def decode_header_value(raw: str | bytes, *, hint: str | None = None) -> Decoded:
    """A header value as text: unfolded, RFC 2047 encoded words and raw 8-bit bytes decoded.

    A ``str`` may carry the raw bytes of an 8-bit header as surrogate escapes (what the email
    package's compat32 parser hands out); they are turned back into bytes first. ``hint`` is
    the message's body charset, tried for raw 8-bit text before detection."""
    if isinstance(raw, str) and raw.isascii() and not _NEEDS_DECODING.search(raw):
        # Nearly every header of most mail: one plain ASCII line (what the rest would return).
        return Decoded(raw.strip(_BYTES_WHITESPACE))
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape")
    data = _LINE_BREAK.sub(b" ", _FOLD.sub(b"", data)).strip()
    if b"=?" not in data:
        return _decode_literal(data, hint)
    pieces: list[str] = []
    notes: list[str] = []
    run_charset: bytes | None = None
    run: list[tuple[bytes, bytes]] = []

    def flush_run() -> None:
        if run_charset is not None and run:
            decoded = decode_text(_decode_run(run), run_charset.decode("ascii", "replace"))
            pieces.append(decoded.text)
            if decoded.note:
                notes.append(decoded.note)
            run.clear()

    position = 0
    for match in _ENCODED_WORD.finditer(data):
        between = data[position : match.start()]
        position = match.end()
        charset, encoding, payload = match.groups()
        charset = charset.split(b"*", 1)[0].lower()  # RFC 2231 language: =?utf-8*ja?B?...?=
        # Whitespace between two encoded words is not part of the text (RFC 2047 section 6.2).
        if between and not (run and between.isspace()):
            flush_run()
            run_charset = None
            literal = _decode_literal(between, hint)
            pieces.append(literal.text)
            if literal.note:
                notes.append(literal.note)
        if charset != run_charset:
            flush_run()
            run_charset = charset
        run.append((encoding, payload))
    flush_run()
    if position < len(data):
        literal = _decode_literal(data[position:], hint)
        pieces.append(literal.text)
        if literal.note:
            notes.append(literal.note)
    note = "; ".join(dict.fromkeys(notes)) or None
    return Decoded("".join(pieces), note)
