"""What the public event history tells of draft proposals: counts, not which lab."""

from hub.events.privacy import public_payload


def test_a_drafts_events_do_not_say_which_lab_or_need() -> None:
    adjusted = {"batch_id": 3, "lab_id": 7, "need_id": 2, "state": "draft", "quantity": 25}
    assert public_payload(adjusted) == {"state": "draft", "quantity": 25}
    discarded = {"batch_id": 3, "lab_id": 7, "state": "cancelled", "draft": True, "quantity": 20}
    assert public_payload(discarded) == {"state": "cancelled", "quantity": 20}
    sent = {"batch_id": 3, "lab_id": 7, "state": "proposed", "quantity": 25, "code": "ABC-1234"}
    assert public_payload(sent) == {"batch_id": 3, "lab_id": 7, "state": "proposed", "quantity": 25}
