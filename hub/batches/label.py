"""The box label a lab prints and tapes on a batch: what it is, for whom, and its code."""

from html import escape

from designs import load_catalogue
from hub.batches.models import Batch
from hub.sites.models import Site


def label_html(batch: Batch, lab: Site, hospital: Site, *, lang: str = "fr") -> str:
    """Return a printable A6 label for a batch (French by default)."""
    design = load_catalogue().get(batch.design)
    name = (design.name_fr if lang == "fr" else design.name) if design else batch.design
    per_box = design.units_per_box if design else None
    words = {
        "fr": ("Pour", "De", "Quantité", "À livrer avant le", "unités par carton", "Code de suivi"),
        "en": ("For", "From", "Quantity", "Deliver by", "units per box", "Tracking code"),
    }[lang if lang == "en" else "fr"]
    to, from_, qty, due, box, code = words
    boxes = f" ({per_box} {box})" if per_box else ""
    return f"""<!doctype html>
<html lang="{escape(lang)}"><head><meta charset="utf-8">
<title>{escape(batch.code)}</title>
<style>
  @page {{ size: A6; margin: 8mm; }}
  body {{ font-family: system-ui, sans-serif; margin: 0; }}
  .code {{ font: 700 44pt ui-monospace, monospace; letter-spacing: 2pt; margin: 4mm 0; }}
  dt {{ font-size: 9pt; color: #555; margin-top: 3mm; }} dd {{ margin: 0; font-size: 14pt; }}
</style></head>
<body onload="window.print()">
  <div>{escape(code)}</div>
  <div class="code">{escape(batch.code)}</div>
  <dl>
    <dt>{escape(to)}</dt><dd>{escape(hospital.name)} — {escape(hospital.address)}</dd>
    <dt>{escape(from_)}</dt><dd>{escape(lab.name)}</dd>
    <dt>{escape(qty)}</dt><dd>{batch.quantity} × {escape(name)}{escape(boxes)}</dd>
    <dt>{escape(due)}</dt><dd>{batch.due.isoformat()}</dd>
  </dl>
</body></html>"""
