"""What a password must be: long enough, not blank, not common, not the account's own words.

Following NIST SP 800-63B (5.1.1.2): a minimum length of 8, no composition rules, and a check
against passwords known to be common and against words of the account itself. "Common" is
judged by zxcvbn (Dropbox's estimator, the ``zxcvbn`` package, MIT): its dictionaries include
the 30,000 most frequent passwords of leaked lists, with their l33t and capitalised variants,
keyboard rows (qwerty, azerty) and sequences; a password it scores below 2 ("too guessable:
risky password", under 10^6 guesses) is refused.
"""

from zxcvbn import zxcvbn

from hub.errors import Invalid
from hub.i18n import N_, _

MIN_LENGTH = 8
#: zxcvbn's score 2: at least 10^6 guesses, enough against throttled online guessing.
MIN_SCORE = 2
#: Shorter names and e-mail parts are not looked for inside a password ("Al" in "banal").
MIN_OWN_WORD = 4
#: zxcvbn's time grows with the length; past this many characters the rest adds no weakness.
SCORED_LENGTH = 64


def _letters(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _own_words(email: str, name: str) -> list[str]:
    """The account's words, lower-case and without punctuation: e-mail, its local part, name."""
    local = email.partition("@")[0]
    words = [email, local, name, *name.split(), *local.replace("_", ".").split(".")]
    return [w for w in {_letters(word) for word in words} if len(w) >= MIN_OWN_WORD]


def check_password(password: str, *, email: str, name: str) -> None:
    """Raise Invalid (422) unless ``password`` may be the password of this account."""
    if len(password) < MIN_LENGTH:
        raise Invalid(
            N_(
                "The password must have at least {n} character.",
                "The password must have at least {n} characters.",
                "n",
            ),
            n=MIN_LENGTH,
        )
    if not password.strip():
        raise Invalid(_("A password cannot be only spaces."))
    letters = _letters(password)
    own = _own_words(email, name)
    result = zxcvbn(password[:SCORED_LENGTH], user_inputs=[email, name, *own])
    weak = result["score"] < MIN_SCORE
    if any(word in letters for word in own) or (
        weak and any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"])
    ):
        raise Invalid(_("The password must not contain your e-mail address or your name."))
    if weak:
        raise Invalid(
            _(
                "This password is too common or too easy to guess, like “password” or "
                "“12345678”; choose a longer one, a few unrelated words for example."
            )
        )
