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


def public_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the payload without anything that names or tracks a person or a box."""
    return {k: v for k, v in payload.items() if k in PUBLIC_FIELDS or k == "totals_delta"}
