"""The catalogue of validated designs, read-only."""

from fastapi import APIRouter

from designs import Design, load_catalogue
from hub.catalogue.schemas import DesignOut, ProductionOut
from hub.errors import NotFound
from hub.i18n import _

router = APIRouter(prefix="/designs", tags=["designs"])


def design_out(design: Design) -> DesignOut:
    """Render a catalogue entry, with the address of its page and of its diagram."""
    production = design.production
    own = {"production", "page_url"}
    return DesignOut.model_validate(
        {
            **{name: getattr(design, name) for name in DesignOut.model_fields if name not in own},
            "materials": list(design.materials),
            "sources": dict(design.sources),
            "page_url": f"/designs/{design.slug}",
            "production": None
            if production is None
            else ProductionOut(
                settings=list(production.settings),
                settings_fr=list(production.settings_fr),
                diagram_url=f"/designs/{design.slug}/diagram.svg" if production.diagram else None,
            ),
        }
    )


@router.get("", response_model=list[DesignOut])
async def list_designs() -> list[DesignOut]:
    """Return every design of the catalogue."""
    return [design_out(d) for d in load_catalogue().values()]


@router.get("/{slug}", response_model=DesignOut)
async def get_design(slug: str) -> DesignOut:
    """Return one design."""
    catalogue = load_catalogue()
    if slug not in catalogue:
        raise NotFound(
            _("No design {slug} in the catalogue."),
            slug=repr(slug),
        )
    return design_out(catalogue[slug])
