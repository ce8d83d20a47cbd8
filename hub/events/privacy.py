"""Which parts of an event anyone may see: counts, states and places, never who."""

from typing import Any

# Payload fields anyone may see: counts, states and places, never who.
PUBLIC_FIELDS = frozenset(
    {
        "batch_id",
        "need_id",
        "lab_id",
        "hospital_id",
        "design",
        "state",
        "status",
        "quantity",
        "made",
        "picked_up",
        "delivered",
        "accepted",
        "rejected",
        "priority",
        "needed_by",
        "kind",
        "offers",
        # Marking a batch ready with units missing: how many went back, or stayed claimed in
        # the batch split from it.
        "released",
        "kept",
        "from_batch_id",
    }
)


# What would tell a lab that a draft proposal concerns it before a coordinator sends it.
DRAFT_LINKS = frozenset({"batch_id", "need_id", "lab_id", "hospital_id"})


def public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the payload without anything that names or tracks a person or a box, nor, for
    a draft proposal (adjusted or discarded in review), which batch, need or lab it was."""
    draft = payload.get("state") == "draft" or payload.get("draft") is True
    return {
        k: v
        for k, v in payload.items()
        if (k in PUBLIC_FIELDS and not (draft and k in DRAFT_LINKS)) or k == "totals_delta"
    }
