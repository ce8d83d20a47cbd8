"""A short, language-neutral description of the browser a session was opened from."""

import ua_parser

from hub.validation import LINE_CONTROLS

#: Longest description kept (the column holds 100).
MAX_LENGTH = 100


def _named(family: str | None, major: str | None) -> str | None:
    if not family or family == "Other":
        return None
    return f"{family} {major}" if major else family


def describe_agent(user_agent: str | None) -> str | None:
    """``"Firefox Mobile 128 · Android 14"`` from a User-Agent header (ua-parser's families).

    An agent ua-parser does not know is named by its first product token (``python-httpx``);
    no header gives None. The header itself is never stored.
    """
    # Control characters (a C1 arrives as a Latin-1 byte) go: the description is stored and shown.
    user_agent = LINE_CONTROLS.sub("", user_agent or "")
    if not user_agent.strip():
        return None
    parsed = ua_parser.parse(user_agent[:1000])
    browser = parsed.user_agent and _named(parsed.user_agent.family, parsed.user_agent.major)
    system = parsed.os and _named(parsed.os.family, parsed.os.major)
    parts = [p for p in (browser, system) if p]
    if not parts:
        parts = [user_agent.strip().split()[0].split("/")[0]]
    return " · ".join(parts)[:MAX_LENGTH]
