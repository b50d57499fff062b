"""Charsets: ISO-2022-JP through cp932, mislabelled Japanese, RFC 2047 headers, detection notes."""

from __future__ import annotations

import base64
import random

import pytest

from crm_desk.mail.charsets import Decoded, decode_header_value, decode_text

ESC_KANJI = b"\x1b$B"  # JIS X 0208
ESC_ASCII = b"\x1b(B"
ESC_KANA = b"\x1b(I"  # JIS X 0201 katakana (half-width)


def jis(*pairs: int) -> bytes:
    """JIS X 0208 characters by their two-byte JIS code (row + 0x20, cell + 0x20)."""
    return ESC_KANJI + b"".join(pair.to_bytes(2, "big") for pair in pairs) + ESC_ASCII


# Written by hand from the JIS code tables, not by any encoder under test.
CIRCLED_ONE = 0x2D21  # ① row 13 cell 1 (NEC special characters)
KABUSHIKI = 0x2D6A  # ㈱ row 13 cell 74
NUMERO = 0x2D62  # № row 13 cell 66
TAKA = 0x7C62  # 髙 row 92 cell 66 (NEC-selected IBM extension)
SAKI = 0x7975  # 﨑 row 89 cell 85 (NEC-selected IBM extension)
TE, SU, TO = 0x2546, 0x2539, 0x2548  # テ ス ト (row 5, katakana)


class TestIso2022Jp:
    def test_nec_special_characters(self) -> None:
        decoded = decode_text(jis(CIRCLED_ONE, KABUSHIKI, NUMERO), "iso-2022-jp")
        assert decoded == Decoded("①㈱№", None)

    def test_ibm_extensions(self) -> None:
        assert decode_text(jis(TAKA, SAKI) + b" san", "ISO-2022-JP").text == "髙﨑 san"

    def test_python_codec_cannot(self) -> None:
        # Why the transcoder exists: the standard codec rejects what every Windows sender uses.
        with pytest.raises(UnicodeDecodeError):
            jis(CIRCLED_ONE).decode("iso2022_jp")

    def test_half_width_katakana_by_escape(self) -> None:
        # ﾊﾝｶｸ are 0xCA 0xDD 0xB6 0xB8 in JIS X 0201; in 7 bits after ESC ( I: minus 0x80.
        data = b"Re: " + ESC_KANA + b"J]68" + ESC_ASCII + b"!"
        assert decode_text(data, "iso-2022-jp").text == "Re: ﾊﾝｶｸ!"

    def test_half_width_katakana_by_shift_out(self) -> None:
        assert decode_text(b"a\x0eJ]68\x0fb", "iso-2022-jp").text == "aﾊﾝｶｸb"

    @pytest.mark.parametrize("label", ["iso-2022-jp-1", "ISO-2022-JP-2", "csISO2022JP", "cp50221"])
    def test_variant_labels(self, label: str) -> None:
        assert decode_text(jis(TE, SU, TO, CIRCLED_ONE), label) == Decoded("テスト①", None)

    def test_old_escape_and_jis_roman(self) -> None:
        # ESC $ @ is JIS C 6226-1978; ESC ( J is JIS X 0201 Roman, with ¥ where ASCII has \\.
        data = b"\x1b$@" + (TE).to_bytes(2, "big") + b"\x1b(J" + b"x \\100"
        assert decode_text(data, "iso-2022-jp").text == "テx ¥100"

    def test_jis_x_0212(self) -> None:
        # ESC $ ( D: JIS X 0212, which cp932 lacks; 0x3021 (row 16 cell 1) is 丂.
        data = b"\x1b$(D" + b"\x30\x21" + ESC_ASCII
        assert decode_text(data, "iso-2022-jp-1").text == "丂"

    def test_stray_escape_and_missing_reset(self) -> None:
        # A line that ends in JIS mode, then an unknown escape: decoded, with a note.
        data = jis(TE)[:-3] + b"\r\n" + b"\x1b$Z" + (SU).to_bytes(2, "big") + ESC_ASCII
        decoded = decode_text(data, "iso-2022-jp")
        assert decoded.text == "テ\r\nス"
        assert decoded.note is not None and "stray escape" in decoded.note

    def test_same_as_python_codec_for_every_character_both_support(self) -> None:
        cells = []
        for row in range(0x21, 0x7F):
            for cell in range(0x21, 0x7F):
                pair = bytes((row, cell))
                try:
                    (ESC_KANJI + pair + ESC_ASCII).decode("iso2022_jp")
                except UnicodeDecodeError:
                    continue
                cells.append(pair)
        assert len(cells) > 6800  # all of JIS X 0208
        text = b"".join(ESC_KANJI + pair + b"\x1b(Bab\r\n" for pair in cells)
        assert decode_text(text, "iso-2022-jp") == Decoded(text.decode("iso2022_jp"), None)

    def test_real_sentence_matches_python_codec(self) -> None:
        sentence = "お世話になっております。〜見積書（税込¥1,000−）を送付します。"
        data = sentence.encode("iso2022_jp")
        assert decode_text(data, "iso-2022-jp").text == sentence


class TestMislabelledJapanese:
    def test_shift_jis_labelled_iso_2022_jp(self) -> None:
        decoded = decode_text("テストです。㈱".encode("cp932"), "iso-2022-jp")
        assert decoded.text == "テストです。㈱"
        assert decoded.note == "declared iso-2022-jp, decoded as cp932"

    def test_utf8_labelled_iso_2022_jp(self) -> None:
        decoded = decode_text("テストです".encode(), "iso-2022-jp")
        assert decoded == Decoded("テストです", "declared iso-2022-jp, decoded as utf-8")

    def test_shift_jis_label_means_cp932(self) -> None:
        assert decode_text("①髙﨑".encode("cp932"), "shift_jis") == Decoded("①髙﨑", None)
        assert decode_text("〜".encode("cp932"), "Shift_JIS").text == "〜"  # WAVE DASH, as JIS

    def test_euc_jp_with_nec_row_13(self) -> None:
        # cp51932: EUC-JP plus NEC row 13, which Python's euc_jp rejects; ① is 0xADA1.
        assert decode_text(b"\xad\xa1\xa4\xa2", "euc-jp") == Decoded("①あ", None)

    def test_no_charset_shift_jis(self) -> None:
        decoded = decode_text("請求書の件です".encode("cp932"), None)
        assert decoded == Decoded("請求書の件です", "no charset, detected cp932")

    def test_no_charset_euc_jp(self) -> None:
        decoded = decode_text("こんにちは、世界".encode("euc_jp"), None)
        assert decoded == Decoded("こんにちは、世界", "no charset, detected euc-jp")

    def test_latin1_is_not_taken_for_shift_jis(self) -> None:
        # "ä" + "t" is a valid Shift_JIS kanji; a lone one between letters is not Japanese.
        decoded = decode_text("Universität Grüße".encode("latin-1"), None)
        assert decoded.text == "Universität Grüße"


class TestOtherCharsets:
    @pytest.mark.parametrize("label", ["x-foo", "fakescii", "us-askey", "none", "2dutf-8"])
    def test_unknown_charset_is_noted(self, label: str) -> None:
        decoded = decode_text("Größe".encode(), label)
        assert decoded.text == "Größe"
        assert decoded.note is not None and "utf-8" in decoded.note

    def test_unknown_charset_note_names_it(self) -> None:
        assert decode_text("é".encode(), "x-foo").note == "unknown charset 'x-foo', detected utf-8"

    def test_declared_charset_that_decodes_has_no_note(self) -> None:
        assert decode_text("Привет".encode("koi8_r"), "koi8-r") == Decoded("Привет", None)

    def test_latin1_label_means_windows_1252(self) -> None:
        assert decode_text(b"\x93quoted\x94", "iso-8859-1").text == "\u201cquoted\u201d"

    def test_utf8_under_a_latin1_label(self) -> None:
        decoded = decode_text("Grüße".encode(), "iso-8859-1")
        assert decoded == Decoded("Grüße", "declared iso-8859-1, decoded as utf-8")

    def test_utf8_with_a_latin1_part(self) -> None:
        data = "äöü 差出人 ".encode() + "äöü".encode("latin-1")
        decoded = decode_text(data, "x-unknown-thing")
        assert decoded.text == "äöü 差出人 äöü"

    def test_gbk_under_gb2312(self) -> None:
        assert decode_text("镕".encode("gbk"), "gb2312") == Decoded("镕", None)

    def test_broken_utf8_is_replaced_with_a_note(self) -> None:
        decoded = decode_text("日本語".encode()[:-1] + b" ok", "utf-8")
        assert "\ufffd" in decoded.text and decoded.note is not None

    def test_hint_decides_a_few_bytes(self) -> None:
        decoded = decode_text("äöüß".encode("latin-1"), None, hint="iso-8859-1")
        assert decoded.text == "äöüß"

    def test_never_raises(self) -> None:
        rng = random.Random(2047)
        labels = [None, "utf-8", "iso-2022-jp", "shift_jis", "euc-jp", "utf-16", "big5", "x"]
        for _ in range(300):
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(60)))
            for label in labels:
                assert isinstance(decode_text(data, label).text, str)


class TestHeaders:
    def test_split_encoded_words_joined_at_byte_level(self) -> None:
        raw = "日本語のテキスト".encode()
        first, second = base64.b64encode(raw[:4]), base64.b64encode(raw[4:])  # 日 + 1 byte of 本
        value = f"=?utf-8?B?{first.decode()}?=\r\n =?UTF-8?B?{second.decode()}?="
        assert decode_header_value(value) == Decoded("日本語のテキスト", None)

    def test_base64_split_inside_a_group(self) -> None:
        encoded = base64.b64encode("請求書の再発行".encode()).decode()
        value = f"=?utf-8?B?{encoded[:7]}?= =?utf-8?B?{encoded[7:]}?="
        assert decode_header_value(value).text == "請求書の再発行"

    def test_quoted_printable_split(self) -> None:
        value = "=?utf-8?Q?=E6=97=A5=E6?=\n =?utf-8?Q?=9C=AC_go?="
        assert decode_header_value(value).text == "日本 go"

    def test_iso_2022_jp_words_split_in_kanji_mode(self) -> None:
        raw = jis(TE, SU, TO, CIRCLED_ONE)
        first, second = base64.b64encode(raw[:7]), base64.b64encode(raw[7:])
        value = f"=?ISO-2022-JP?B?{first.decode()}?=\r\n\t=?ISO-2022-JP?B?{second.decode()}?="
        assert decode_header_value(value).text == "テスト①"

    def test_iso_2022_jp_word_with_shift_jis_inside(self) -> None:
        encoded = base64.b64encode("テスト㈱".encode("cp932")).decode()
        decoded = decode_header_value(f"=?iso-2022-jp?B?{encoded}?=")
        assert decoded.text == "テスト㈱" and decoded.note is not None

    def test_iphone_subject(self) -> None:
        value = "=?iso-2022-jp?B?UmU6IBskQiFaGyhCTktTQxskQiFbGyhCdGVzdA==?="
        assert decode_header_value(value) == Decoded("Re: 【NKSC】test", None)

    def test_text_around_words_is_kept(self) -> None:
        value = "Re: =?utf-8?B?5pel5pys?= and =?iso-8859-1?Q?Gr=FC=DFe?= !"
        assert decode_header_value(value).text == "Re: 日本 and Grüße !"

    def test_whitespace_between_words_is_dropped_even_across_charsets(self) -> None:
        value = "=?utf-8?Q?a?=  \r\n =?iso-8859-1?Q?=E9?="
        assert decode_header_value(value).text == "aé"

    def test_folding_keeps_the_whitespace(self) -> None:
        value = "Re: TEST\r\n \r\n\t=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?="
        assert decode_header_value(value).text == "Re: TEST \tテスト"

    def test_raw_utf8_header(self) -> None:
        assert decode_header_value("件名テスト".encode()) == Decoded("件名テスト", None)

    def test_raw_shift_jis_header_as_bytes_and_as_surrogates(self) -> None:
        raw = "お見積りの件".encode("cp932")
        decoded = decode_header_value(raw)
        assert decoded.text == "お見積りの件"
        assert decoded.note == "raw 8-bit header, no charset, detected cp932"
        # What email's compat32 parser hands out for the same header:
        assert decode_header_value(raw.decode("ascii", "surrogateescape")).text == "お見積りの件"

    def test_raw_header_uses_the_message_charset(self) -> None:
        decoded = decode_header_value("見積".encode("cp932"), hint="shift_jis")
        assert decoded == Decoded("見積", "raw 8-bit header, read as cp932")

    def test_raw_jis_header_without_encoded_words(self) -> None:
        assert decode_header_value(jis(TE, SU, TO)).text == "テスト"

    def test_unknown_charset_in_encoded_word(self) -> None:
        decoded = decode_header_value("=?x-bogus?Q?caf=C3=A9?=")
        assert decoded == Decoded("café", "unknown charset 'x-bogus', detected utf-8")

    def test_language_suffix_and_lower_case_encoding(self) -> None:
        assert decode_header_value("=?utf-8*ja?b?5pel5pys?=").text == "日本"

    def test_broken_words_never_raise(self) -> None:
        for value in ["=?utf-8?B?!!!?=", "=?utf-8?Q?=ZZ?=", "=??B?abc?=", "=?utf-8?B?", "=?"]:
            assert isinstance(decode_header_value(value).text, str)


@pytest.mark.parametrize(
    "value",
    [
        "Re: order A-00012",
        "  padded\t ",
        "\x1cfile separator is not whitespace to a mail header\x1f",
        "Jane Doe <jane@example.com>",
        "=?utf-8?B?5rOo5paH?=",
        "folded\r\n continuation",
        "\x1b$B$3$s$K$A$O\x1b(B",
        "",
    ],
)
def test_plain_ascii_values_decode_as_their_bytes_do(value: str) -> None:
    # The shortcut for plain ASCII text must give what the byte path gives.
    assert decode_header_value(value) == decode_header_value(value.encode("ascii"))
