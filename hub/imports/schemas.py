"""What an import answers: how the file was read, and each row's outcome with its reasons."""

from typing import Literal

from pydantic import BaseModel, Field

from hub.i18n import Lang
from hub.imports.service import Report, describe

#: Accepted rows listed in a report (rejected ones are always all listed).
SHOWN_ACCEPTED = 500


class ProblemOut(BaseModel):
    """One reason a row was rejected: the file's column (null: the whole line)."""

    column: str | None
    reason: str


class RowOut(BaseModel):
    """One row of the file: its line, what happened to it, and why when rejected."""

    line: int
    action: Literal["created", "updated", "unchanged", "rejected"]
    label: str
    id: int | None
    problems: list[ProblemOut]


class ImportOut(BaseModel):
    """The result of an import or of its dry run (``applied`` tells whether anything changed)."""

    kind: str
    format: str = Field(description="csv, xlsx, xls or ods")
    encoding: str | None
    separator: str | None
    ignored_columns: list[str]
    dry_run: bool
    all_or_nothing: bool
    applied: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    outcomes: list[RowOut] = Field(
        description=f"Every rejected row, and the first {SHOWN_ACCEPTED} accepted ones."
    )


def import_out(report: Report, lang: Lang) -> ImportOut:
    """A report in the reader's language."""
    shown = []
    accepted = 0
    for o in report.outcomes:
        if o.action != "rejected":
            accepted += 1
            if accepted > SHOWN_ACCEPTED:
                continue
        shown.append(
            RowOut(
                line=o.line,
                action=o.action,
                label=o.label,
                id=o.id,
                problems=[
                    ProblemOut(column=p.column, reason=describe(p, lang)) for p in o.problems
                ],
            )
        )
    return ImportOut(
        kind=report.kind,
        format=report.format,
        encoding=report.encoding,
        separator=report.separator,
        ignored_columns=report.ignored_columns,
        dry_run=report.dry_run,
        all_or_nothing=report.all_or_nothing,
        applied=report.applied,
        rows=len(report.outcomes),
        created=report.count("created"),
        updated=report.count("updated"),
        unchanged=report.count("unchanged"),
        rejected=report.count("rejected"),
        outcomes=shown,
    )
