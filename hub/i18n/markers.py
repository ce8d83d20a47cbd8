"""Mark English text for the catalogue: ``_``, ``N_`` (plural) and ``C_`` (with a context)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """English text to show a person, translated only when shown (see :func:`render`).

    ``plural`` and ``count`` make a plural message: ``count`` names the parameter whose value
    picks the form. ``context`` tells apart two meanings of the same English word.
    """

    text: str
    plural: str | None = None
    count: str | None = None
    context: str | None = None


def _(text: str) -> Message:
    """Mark English ``text`` for the catalogue (``pybabel`` extracts the calls)."""
    return Message(text)


def N_(singular: str, plural: str, count: str) -> Message:
    """Mark a message with a plural; the parameter named ``count`` picks the form."""
    return Message(singular, plural, count)


def C_(context: str, text: str) -> Message:
    """Mark a word whose translation depends on ``context`` ("state", "role", ...)."""
    return Message(text, context=context)
