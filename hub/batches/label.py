"""The box label a lab prints and tapes on a batch: what it is, for whom, and its code.

The label is the ``label.html`` template of the pages, in the reader's language: its words
from the catalogue, the quantity and the due date written by Babel the reader's way.
"""

from dataclasses import dataclass

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse

from designs import load_catalogue
from hub.batches.models import Batch
from hub.i18n import Lang
from hub.i18n.language import LOCALES
from hub.sites.models import Site
from hub.web.endpoints import render


@dataclass(frozen=True)
class Label:
    """What a box label says, every value already written for its reader."""

    batch_id: int
    code: str
    hospital: str
    address: str
    lab: str
    quantity: str
    design: str
    per_box: int | None
    per_box_text: str
    due: str


def label_for(batch: Batch, lab: Site, hospital: Site, lang: Lang) -> Label:
    """The label of ``batch`` in ``lang``: design name, numbers and due date the reader's way."""
    locale = LOCALES[lang]
    design = load_catalogue().get(batch.design)
    name = (design.name_fr if lang == "fr" else design.name) if design else batch.design
    per_box = design.units_per_box if design else None
    return Label(
        batch_id=batch.id,
        code=batch.code,
        hospital=hospital.name,
        address=hospital.address,
        lab=lab.name,
        quantity=format_decimal(batch.quantity, locale=locale),
        design=name,
        per_box=per_box,
        per_box_text=format_decimal(per_box or 0, locale=locale),
        due=format_date(batch.due, "long", locale=locale),
    )


def label_page(
    request: Request, batch: Batch, lab: Site, hospital: Site, lang: str
) -> HTMLResponse:
    """The printable label page of ``batch`` in ``lang`` (A6, see ``static/label.css``)."""
    reader: Lang = "en" if lang == "en" else "fr"
    return render(request, "label.html", lang=reader, label=label_for(batch, lab, hospital, reader))
