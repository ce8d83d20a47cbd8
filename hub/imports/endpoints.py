"""Coordinators import a spreadsheet from their page: a dry run to preview, then for real."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from hub.db import Database
from hub.deps import CurrentUser, get_db
from hub.i18n import language
from hub.imports.rows import ImportKind
from hub.imports.schemas import ImportOut, import_out
from hub.imports.service import import_file
from hub.timeutil import today

router = APIRouter(tags=["imports"])


@router.post(
    "/imports/{kind}",
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file itself (CSV, XLSX, XLS or ODS) as the request body, whatever "
            "its content type: at most 20 MB and 100,000 rows.",
            # One media type: ReDoc draws a picker without a label for several (axe-core).
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_(
    kind: ImportKind,
    request: Request,
    user: CurrentUser,
    db: Annotated[Database, Depends(get_db)],
    dry_run: Annotated[bool, Query(description="Check and show, change nothing.")] = False,
    all_or_nothing: Annotated[
        bool, Query(description="Apply nothing if any row is rejected.")
    ] = False,
    verify: Annotated[bool, Query(description="Mark imported sites verified.")] = False,
    accept_language: Annotated[str | None, Header()] = None,
) -> ImportOut:
    """Import a CSV, XLSX, XLS or ODS file of hospitals, labs or needs (coordinators; batches:
    admins), sent as the raw request body; every row's outcome is listed, rejected ones with
    their line, column and reason."""
    report = await import_file(
        db,
        user=user,
        kind=kind,
        data=await request.body(),
        dry_run=dry_run,
        all_or_nothing=all_or_nothing,
        verify=verify,
        today=today(),
    )
    return import_out(report, language(accept_language))
