"""From a :class:`~hub.imports.reading.Table` to rows of typed values, each with its problems.

The heading row is matched to the hub's columns (``hub.exports.columns``) by key, by heading
in English or French, by the other names people use, or by an HXL hashtag row; a file without
the columns a kind needs is refused as a whole. Each data row is then read cell by cell
(``hub.imports.cells``); a cell that cannot be read is a problem of that row, at that line and
column, and never stops the others.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from designs import load_catalogue
from hub.errors import Invalid
from hub.exports.columns import SHEETS, Column
from hub.i18n import C_, Message, _, codes, render
from hub.i18n.words import word
from hub.imports import cells
from hub.imports.cells import CellError
from hub.imports.reading import Cell, Table
from hub.rules.states import BatchState, NeedStatus, Priority, SiteStatus
from hub.sites.schemas import HospitalKind, LabKind

ImportKind = Literal["hospitals", "labs", "needs", "batches"]
IMPORT_KINDS: tuple[ImportKind, ...] = ("hospitals", "labs", "needs", "batches")
#: Columns the hub computes or assigns itself: read back from its own exports, never imported.
COMPUTED = {"id", "region", "departement"}
COMPUTED_BY_KIND: dict[ImportKind, set[str]] = {
    "hospitals": set(),
    "labs": set(),
    "needs": {"lat", "lon"},
    "batches": {"lat", "lon", "due"},
}
#: Columns a file must have, per kind; a tuple means "one of these".
REQUIRED: dict[ImportKind, tuple[str | tuple[str, ...], ...]] = {
    "hospitals": ("name", "address", "lat", "lon"),
    "labs": ("name", "address", "lat", "lon"),
    "needs": (
        ("hospital_external_id", "hospital", "hospital_id"),
        "design",
        "quantity",
        "needed_by",
    ),
    "batches": (
        ("need_external_id", "need_id", "hospital"),
        ("lab_external_id", "lab", "lab_id"),
        "quantity",
    ),
}

#: Words for site kinds (the same as the pages', hub/web/static/app.js), and common names.
KIND_WORDS: dict[str, Message] = {
    "hospital": C_("site kind", "hospital"),
    "clinic": C_("site kind", "clinic"),
    "nursing_home": C_("site kind", "nursing home"),
    "pharmacy": C_("site kind", "pharmacy"),
    "gp": C_("site kind", "GP practice"),
    "fablab": C_("site kind", "fablab"),
    "digital_mediation": C_("site kind", "digital-mediation space"),
    "hybrid_third_place": C_("site kind", "hybrid third place"),
    "territorial_innovation_lab": C_("site kind", "territorial innovation lab"),
    "prototyping_workshop": C_("site kind", "professional prototyping workshop"),
    "training_space": C_("site kind", "training space"),
    "home": C_("site kind", "maker at home"),
}
KIND_ALIASES = {
    "chu": "hospital",
    "ch": "hospital",
    "centre hospitalier": "hospital",
    "hopital": "hospital",
    "ehpad": "nursing_home",
    "maison de retraite": "nursing_home",
    "medecin": "gp",
    "medecin generaliste": "gp",
    "maison de sante": "gp",
    "makerspace": "fablab",
    "hackerspace": "fablab",
    "maker": "home",
    "particulier": "home",
}


def _choices(values: list[str], words: dict[str, Message], extra: dict[str, str]) -> dict[str, str]:
    """Folded code or word (English or French) → code."""
    found: dict[str, str] = {}
    for value in values:
        found[cells.fold(value)] = value
        found[cells.fold(value.replace("_", " "))] = value
        if value in words:
            for lang in ("en", "fr"):
                found.setdefault(cells.fold(render(words[value], {}, lang)), value)
    for alias, value in extra.items():
        found.setdefault(cells.fold(alias), value)
    return found


def _enum_choices(enum: Any) -> tuple[dict[str, str], list[str]]:
    values = [str(v.value) for v in enum]
    return _choices(values, {str(v.value): word(v) for v in enum}, {}), values


def _designs() -> tuple[dict[str, str], list[str]]:
    catalogue = load_catalogue()
    found: dict[str, str] = {}
    for slug, design in catalogue.items():
        found[cells.fold(slug)] = slug
        for name in (design.name, design.name_fr):
            found.setdefault(cells.fold(name), slug)
    return found, sorted(catalogue)


@dataclass
class Row:
    """A data row: its line in the file, the values read, the problems found (by column)."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str | None, Message, dict[str, Any]]] = field(default_factory=list)

    def refuse(self, column: str | None, message: Message, **params: Any) -> None:
        """Record a problem of this row (``column``: the file's heading, or None)."""
        self.problems.append((column, message, params))


@dataclass
class Layout:
    """Which column of the file holds which of the hub's columns, and what it calls it."""

    kind: ImportKind
    index: dict[str, int]
    headings: dict[str, str]
    ignored: list[str]
    hxl_row: bool

    def heading(self, key: str) -> str:
        """The file's own heading for a column of the hub (for reasons)."""
        return self.headings.get(key, key)


def _names(column: Column) -> set[str]:
    names = {column.key, column.key.replace("_", " "), *column.aliases}
    for lang in ("en", "fr"):
        names.add(render(column.label, {}, lang))
    return {cells.fold(n) for n in names}


def layout(kind: ImportKind, table: Table) -> Layout:
    """Match the file's headings to the kind's columns; :class:`Invalid` when some are missing."""
    columns = [c for c in SHEETS[kind] if c.key not in COMPUTED | COMPUTED_BY_KIND[kind]]
    by_name: dict[str, str] = {}
    for column in columns:
        for name in _names(column):
            by_name.setdefault(name, column.key)
    hxl_row = bool(table.rows) and all(
        cells.is_blank(c) or str(c).strip().startswith("#") for c in table.rows[0][1]
    )
    tags = [str(c).strip() if c else "" for c in table.rows[0][1]] if hxl_row else []
    by_tag = {c.hxl: c.key for c in columns}
    index: dict[str, int] = {}
    headings: dict[str, str] = {}
    ignored: list[str] = []
    for position, heading in enumerate(table.header):
        key = by_name.get(cells.fold(heading))
        if key is None and position < len(tags):
            key = by_tag.get(tags[position].split(" ")[0])
        if key is None:
            if heading:
                ignored.append(heading)
            continue
        if key in index:
            raise Invalid(
                _("The columns {first} and {second} both give {column}; keep one."),
                first=repr(headings[key]),
                second=repr(heading),
                column=key,
            )
        index[key] = position
        headings[key] = heading
    labels = {c.key: c.label for c in columns}
    missing = []
    for need in REQUIRED[kind]:
        options = need if isinstance(need, tuple) else (need,)
        if not any(o in index for o in options):
            missing.append(codes([labels[o] for o in options]))
    if missing:
        raise Invalid(
            _(
                "This file has no column {missing}: nothing was imported. The first line "
                "must name the columns, e.g. {example}."
            ),
            missing=codes(missing, style="standard"),
            example=codes([labels[k] for k in _example(kind)], style="standard"),
        )
    return Layout(kind, index, headings, ignored, hxl_row)


def _example(kind: ImportKind) -> list[str]:
    keys = [k if isinstance(k, str) else k[0] for k in REQUIRED[kind]]
    return keys


# --- Reading each column ----------------------------------------------------------------------


def _phone(cell: Cell) -> str:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        raise CellError(
            _(
                "{value} is stored as a number, so its leading 0 or + is lost; format the "
                "column as text"
            ),
            {"value": cells.text(cell)},
        )
    return cells.text(cell)


def _hour(cell: Cell) -> str:
    import re
    from datetime import time

    if isinstance(cell, time):
        return f"{cell.hour:02d}:{cell.minute:02d}"
    raw = cells.text(cell)
    m = re.fullmatch(r"(\d{1,2})\s*[:hH]\s*(\d{2})?(?::\d{2})?", raw)
    if not m or int(m[1]) > 23:
        raise CellError(_("{value} is not a time: write 08:00"), {"value": raw})
    return f"{int(m[1]):02d}:{m[2] or '00'}"


def readers(kind: ImportKind) -> dict[str, Callable[[Cell], Any]]:
    """How each column of ``kind`` is read from a cell."""
    site_kinds = list(get_args(HospitalKind) if kind == "hospitals" else get_args(LabKind))
    kind_choices = _choices(
        site_kinds,
        KIND_WORDS,
        {a: v for a, v in KIND_ALIASES.items() if v in site_kinds},
    )
    site_status, site_status_shown = _enum_choices(SiteStatus)
    priorities, priorities_shown = _enum_choices(Priority)
    need_status, need_status_shown = _enum_choices(NeedStatus)
    batch_states, batch_states_shown = _enum_choices(BatchState)
    designs, designs_shown = _designs()
    count = cells.integer
    out: dict[str, Callable[[Cell], Any]] = {
        "external_id": cells.text,
        "name": cells.text,
        "address": cells.text,
        "contact_name": cells.text,
        "contact_phone": _phone,
        "opens": _hour,
        "closes": _hour,
        "lat": lambda c: cells.decimal(c, low=-90, high=90),
        "lon": lambda c: cells.decimal(c, low=-180, high=180),
        "equipment": cells.items,
        "kind": lambda c: cells.code(c, kind_choices, site_kinds),
        "hospital_id": lambda c: count(c, low=1, high=2**62),
        "need_id": lambda c: count(c, low=1, high=2**62),
        "lab_id": lambda c: count(c, low=1, high=2**62),
        "hospital_external_id": cells.text,
        "need_external_id": cells.text,
        "lab_external_id": cells.text,
        "hospital": cells.text,
        "lab": cells.text,
        "reject_reason": cells.text,
        "code": lambda c: cells.text(c).upper(),
        "design": lambda c: cells.code(c, designs, designs_shown),
        "accepts": lambda c: [cells.code(x, designs, designs_shown) for x in cells.items(c)],
        "quantity": lambda c: count(c, low=1),
        "needed_by": cells.day,
        "priority": lambda c: cells.code(c, priorities, priorities_shown),
        "state": lambda c: cells.code(c, batch_states, batch_states_shown),
    }
    for counter in ("made", "picked_up", "delivered", "accepted", "rejected"):
        out[counter] = count
    if kind in ("hospitals", "labs"):
        out["status"] = lambda c: cells.code(c, site_status, site_status_shown)
    else:
        out["status"] = lambda c: cells.code(c, need_status, need_status_shown)
    return out


def read_rows(table: Table, plan: Layout) -> list[Row]:
    """Read every data row; a cell that cannot be read is a problem of its row only."""
    read = readers(plan.kind)
    rows: list[Row] = []
    data = table.rows[1:] if plan.hxl_row else table.rows
    for line, cells_ in data:
        row = Row(line)
        if line in table.overfull:
            row.refuse(
                None,
                _(
                    "This line has more cells than the heading row: a separator ({separator}) "
                    "inside a cell that is not in quotes? Put that cell in quotes."
                ),
                separator=table.separator or ",",
            )
            # Its cells are shifted: reading them would only add noise to the one reason.
            rows.append(row)
            continue
        for key, position in plan.index.items():
            cell = cells_[position] if position < len(cells_) else None
            if cells.is_blank(cell):
                continue
            try:
                row.values[key] = read[key](cell)
            except CellError as exc:
                row.refuse(plan.heading(key), exc.message, **exc.params)
        rows.append(row)
    return rows
