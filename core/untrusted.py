"""Text from outside (alert fields, resource names, words a user typed and we say back) made safe for the
medium it goes to. Any monitoring system may send ESC, BEL, NUL or U+FFFE inside valid JSON: in a chat card a
right-to-left override or a zero-width space can make "web-prod" read as another name or hide a word, and in
TwiML one such character makes the whole page call unreadable to Twilio.

`for_chat` takes out what no reader should get: C0/C1 controls and DEL (newline and tab stay), every format
character (Unicode category Cf: bidi controls, zero-width and invisible characters, the soft hyphen), lone
surrogates and the noncharacters. Every letter of every script, every symbol and emoji stays, and so do code
points this Python's Unicode tables do not know yet (new emoji are assigned every year).
Two format characters are kept where real writing needs them:
- the zero-width joiner and non-joiner, only between two non-ASCII characters: they build emoji sequences
  (👩‍💻, 🏳️‍🌈) and shape Indic and Persian words; between ASCII characters they only hide a difference
  ("web‍prod" is not "webprod"), so they go there;
- tag characters, only inside a subdivision flag (🏴 + tags + cancel tag, the flag of Scotland); elsewhere they
  are invisible text that a person cannot see but a program reads.
`one_line` is `for_chat` on one line, each run of whitespace one space (an alert's summary, a name, a sender's
label in a log line). `for_xml` is `for_chat` guaranteed legal in XML 1.0. `for_sms` gives one line of GSM-7 (the
SMS alphabet): common letters transliterated, the rest "?". This is the one place that decides what of a text
from outside is shown; masking the secrets in it is core.redaction's.

Each is idempotent and never makes the text longer (for_sms may spell "…" as "..." or "ﬁ" as "fi": at most
three characters for one)."""

from __future__ import annotations

import re
import unicodedata

_KEEP_CONTROLS = frozenset("\n\t")
_JOINERS = "\u200c\u200d"  # zero-width non-joiner, joiner
_TAG_FIRST, _TAG_LAST = 0xE0020, 0xE007F
_LINE_BREAKS = {"\u2028": "\n", "\u2029": "\n"}  # line and paragraph separators: a plain newline
# Compatibility Hangul fillers: letters by category, but blank on screen and never part of a word.
_INVISIBLE_LETTERS = re.compile("[\u3164\uffa0]")

_FLAG = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
_TAGS = re.compile("[\U000e0020-\U000e007f]+")
_STRAY_JOINER = re.compile(
    f"(?<![^\\x00-\\x7f{_JOINERS}])[{_JOINERS}]|[{_JOINERS}](?![^\\x00-\\x7f{_JOINERS}])"
)  # a joiner at either end, or next to an ASCII character or another joiner


def for_chat(text: str) -> str:
    """`text` without controls, bidi and invisible characters (see the module's docstring); newlines and tabs
    kept."""
    probe = text.replace("\n", " ").replace("\t", " ") if "\n" in text or "\t" in text else text
    if probe.isprintable() and (probe.isascii() or not _INVISIBLE_LETTERS.search(probe)):
        return text  # printable means no character of the categories C* or Z* but the space: nothing to take out
    clean = text.translate(_VERDICTS)
    if not clean.isascii():
        clean = _tags_only_in_flags(clean)
        clean = _STRAY_JOINER.sub("", clean)
    return clean


def one_line(text: str) -> str:
    """`for_chat`, then every run of whitespace (newlines, tabs) one space, none at either end."""
    return " ".join(for_chat(text).split())


def for_xml(text: str) -> str:
    """`for_chat`, guaranteed legal in an XML 1.0 document (the TwiML of a page call)."""
    clean = for_chat(text)
    return clean if all(_xml_legal(ch) for ch in clean) else "".join(ch for ch in clean if _xml_legal(ch))


# -- GSM-7 ----------------------------------------------------------------------------------------------------

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€")  # two septets each (escape + char)
_LOOKALIKES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
                             "−": "-", "•": "*", "·": ".", "…": "..."})  # fmt: skip
_NOT_GSM7 = re.compile("[^" + re.escape("".join(sorted(_GSM7_BASIC | _GSM7_EXTENDED))) + "]")
_MAX_SPELLING = 3  # "ﬃ" -> "ffi"; a longer compatibility spelling ("㍱" -> "hPa" is 3) becomes "?"


def gsm7(text: str) -> bool:
    """True when `text` can be sent in the GSM-7 alphabet (basic set or its extension table)."""
    return all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in text)


def septets(text: str) -> int:
    """Length of GSM-7 `text` on the wire: extension characters take two septets."""
    return sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)


def for_sms(text: str) -> str:
    """`text` on one line in GSM-7, so one character cannot switch a whole SMS to UCS-2 (70 characters a
    segment instead of 160): accents dropped where the accented letter is not in GSM-7 (ł becomes ?),
    typographic quotes and dashes made plain, anything else "?". Invisible characters are dropped, not "?"."""
    line = one_line(text)
    if not _NOT_GSM7.search(line):
        return line
    out: list[str] = []
    for ch in line:
        if ch in _GSM7_BASIC or ch in _GSM7_EXTENDED:
            out.append(ch)
            continue
        plain = ch.translate(_LOOKALIKES)
        if plain == ch:
            plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(plain if plain and len(plain) <= _MAX_SPELLING and gsm7(plain) else "?")
    return " ".join("".join(out).split())  # a spelling may be a space ("¨" is " " and a combining mark)


# -- one character ---------------------------------------------------------------------------------------------


def _verdict(ch: str) -> str | None:
    """What `for_chat` makes of one character: itself, a newline, or nothing (None)."""
    if ch in _LINE_BREAKS:
        return _LINE_BREAKS[ch]
    category = unicodedata.category(ch)
    if category == "Cc":
        keep = ch in _KEEP_CONTROLS
    elif category == "Cf":
        keep = ch in _JOINERS or _TAG_FIRST <= ord(ch) <= _TAG_LAST  # decided by their neighbours later
    elif category == "Cs":
        keep = False
    elif category == "Cn":
        keep = not _noncharacter(ord(ch))
    else:
        keep = not _INVISIBLE_LETTERS.match(ch)
    return ch if keep else None


class _Verdicts(dict[int, str | None]):
    """A `str.translate` table filled as characters are first seen (the whole of Unicode would take a tenth
    of a second to classify at import). Bounded: past the limit a verdict is computed and not stored."""

    def __missing__(self, code: int) -> str | None:
        verdict = _verdict(chr(code))
        if len(self) < _VERDICTS_KEPT:
            self[code] = verdict
        return verdict


_VERDICTS_KEPT = 50_000
_VERDICTS = _Verdicts()


def _noncharacter(code: int) -> bool:
    """U+FDD0..U+FDEF and the last two code points of every plane (U+FFFE, U+FFFF, U+1FFFE ...)."""
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _tags_only_in_flags(text: str) -> str:
    if not _TAGS.search(text):
        return text
    flags = _FLAG.findall(text)
    parts = [_TAGS.sub("", part) for part in _FLAG.split(text)]
    return "".join(part + (flags[i] if i < len(flags) else "") for i, part in enumerate(parts))


def _xml_legal(ch: str) -> bool:
    code = ord(ch)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000
