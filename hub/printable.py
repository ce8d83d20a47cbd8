"""Text made safe to write into files: no control characters, whatever was stored before.

The writers (CSV, XLSX, GPX, iCalendar) call :func:`printable` on every text they write, so
that a name pasted with a control character from another program (``"Fablab\\x13"``) cannot
make a driver's GPX file invalid XML (XML 1.0, section 2.2, allows only tab, line feed and
carriage return below U+0020, and neither surrogates nor U+FFFE/U+FFFF), an XLSX file
unreadable (openpyxl refuses them) or a calendar invalid (RFC 5545, section 3.1, excludes
CONTROL characters from values). Input is cleaned at the door too; this covers rows stored
before that, and imports from elsewhere.
"""

import re

# C0 controls but tab and line feed, DEL, C1 controls, lone surrogates, and the two
# non-characters XML forbids. Carriage returns are turned into line feeds first.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NEWLINES = re.compile("\r\n?")
_BLANKS = re.compile("[\t\n]+")


def printable(text: str, *, newlines: bool = True) -> str:
    """``text`` without control characters; line breaks kept as ``\\n`` unless ``newlines`` is
    false, when tabs and line breaks become one space (names, one-line fields)."""
    cleaned = _CONTROLS.sub("", _NEWLINES.sub("\n", text))
    return cleaned if newlines else _BLANKS.sub(" ", cleaned)
