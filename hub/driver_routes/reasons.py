"""The route planner's reasons for leaving a batch out, as a driver reads them, in EN or FR.

``matching.routes`` (pure, English only) counts time in minutes on one clock; here minutes
become Paris times, a phrase meant for the planner's own users is reworded for a driver of the
hub, and, for French readers, each known reason gets its French wording.
"""

import re

from hub.i18n import Lang
from hub.validation import minutes_to_hhmm

#: The planner's phrases (``matching/routes/planner.py``) and their French; ``\g<n>`` keeps
#: the numbers and times. A phrase not listed stays in English.
REASONS_FR: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), fr)
    for p, fr in [
        (r"^(\d+) of (\d+) loads: ", r"\1 chargements sur \2 : "),
        (
            r"load of (\d+) units is larger than the largest vehicle \((\d+) units\)",
            r"un chargement de \1 unités dépasse le plus grand véhicule (\2 unités)",
        ),
        (
            r"(\d+) units, more than your vehicle holds \((\d+)\): it needs a vehicle of at "
            r"least \d+ units",
            r"\1 unités, plus que votre véhicule n’en porte (\2) : il faut un véhicule d’au "
            r"moins \1 unités",
        ),
        (r"^no driver is available$", "aucun chauffeur n’est disponible"),
        (
            r"the lab cannot be reached by road from any driver",
            "l’atelier n’est accessible par la route pour aucun chauffeur",
        ),
        (
            r"the hospital cannot be reached by road from the lab",
            "l’établissement n’est pas accessible par la route depuis l’atelier",
        ),
        (
            r"the lab closes at (\S+), before any driver can arrive \(earliest (\S+)\)",
            r"l’atelier ferme à \1, avant l’arrivée de tout chauffeur (au plus tôt \2)",
        ),
        (
            r"the hospital receiving window closes at (\S+), before any driver can arrive "
            r"\(earliest (\S+)\)",
            r"la réception de l’établissement ferme à \1, avant l’arrivée de tout chauffeur "
            r"(au plus tôt \2)",
        ),
        (
            r"the round trip takes (\d+) min, more than the (\d+) min available",
            r"l’aller-retour prend \1 min, plus que les \2 min disponibles",
        ),
        (
            r"no driver could fit it alongside the other shipments within the windows, shifts "
            r"and capacities: add a driver or widen the windows",
            "aucun chauffeur ne peut le prendre avec les autres envois dans les horaires, "
            "services et capacités : ajoutez un chauffeur ou élargissez les horaires",
        ),
    ]
]


#: The hub reserves whole batches, so a driver cannot split a batch bigger than the vehicle as
#: the planner suggests: say what vehicle it needs instead (in English, before ``REASONS_FR``
#: applies), without the planner's internal batch id (the message names the batch by its code).
OVERSIZED = re.compile(
    r"batch \S+ \((\d+) units\) is larger than the vehicle \((\d+) units\): split it into "
    r"loads of at most \d+"
)
OVERSIZED_FOR_DRIVER = (
    r"\1 units, more than your vehicle holds (\2): it needs a vehicle of at least \1 units"
)


def _clock(match: re.Match[str]) -> str:
    return f"{match.group(1)} {minutes_to_hhmm(int(float(match.group(2))) % (24 * 60))}"


def human(reason: str, lang: Lang) -> str:
    """A planner reason with Paris times ("closes at 1080 min" → "closes at 18:00"), in ``lang``."""
    text = re.sub(r"(closes at|earliest) (\d+(?:\.\d+)?) min", _clock, reason)
    text = OVERSIZED.sub(OVERSIZED_FOR_DRIVER, text)
    if lang == "fr":
        for pattern, french in REASONS_FR:
            text = pattern.sub(french, text)
    return text
