"""Response bodies for the catalogue."""

from datetime import date

from pydantic import BaseModel, ConfigDict


class ValidationOut(BaseModel):
    """Who validated a design, when, and for what use."""

    model_config = ConfigDict(from_attributes=True)
    by: str
    on: date
    use: str


class ProductionOut(BaseModel):
    """How to make it: the process's settings in English and French, and a schematic."""

    settings: list[str]
    settings_fr: list[str]
    diagram_url: str | None = None


class DesignOut(BaseModel):
    """A validated design, with the source of each figure."""

    model_config = ConfigDict(from_attributes=True)
    slug: str
    item: str
    name: str
    name_fr: str
    version: str
    process: str
    materials: list[str]
    grams_per_unit: float
    minutes_per_unit: float
    units_per_box: int
    source_url: str
    licence: str
    validation: ValidationOut
    notes: str
    notes_fr: str
    sources: dict[str, str]
    production: ProductionOut | None = None
    page_url: str
