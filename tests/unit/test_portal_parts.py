"""The pure rules of the patient link pages: parts of a questionnaire, calm pages."""

from clinic.portal import parts


def test_replaced_revoked_and_unknown_links_share_one_calm_page():
    pages = {state: parts.calm_page(state) for state in ("unknown", "replaced", "revoked")}
    assert set(pages.values()) == {("inactive", 410)}
    assert parts.calm_page("anything else") == ("inactive", 410)
    assert parts.calm_page("expired") == ("expired", 410)
    assert parts.calm_page("completed") == ("completed", 200)
    assert parts.calm_page("finished") == ("finished", 410)


def test_the_next_part_is_the_first_not_kept():
    codes = ["PHQ-9", "GAD-7"]
    assert parts.next_part(codes, None) == 0
    assert parts.next_part(codes, {"PHQ-9": [0] * 9}) == 1
    assert parts.next_part(codes, {"GAD-7": [0] * 7}) == 0
    assert parts.next_part(codes, {"PHQ-9": [0] * 9, "GAD-7": [0] * 7}) == 1
    assert parts.next_part(codes, {"PHQ-9": "not a list"}) == 0


def test_a_part_replaces_its_earlier_answers_and_extras():
    draft = parts.with_part(None, "PHQ-9", [1] * 9, {"10": 2})
    assert draft == {"PHQ-9": [1] * 9, "extras": {"PHQ-9": {"10": 2}}}
    draft = parts.with_part(draft, "PHQ-9", [0] * 9, None)
    assert draft == {"PHQ-9": [0] * 9, "extras": {}}
    draft = parts.with_part(draft, "GAD-7", [2] * 7, None)
    assert parts.finished_codes(["PHQ-9", "GAD-7"], draft) == ["PHQ-9", "GAD-7"]
    answers, extras = parts.answers_and_extras(["PHQ-9", "GAD-7"], draft)
    assert answers == {"PHQ-9": [0] * 9, "GAD-7": [2] * 7} and extras == {}


def test_a_draft_of_other_instruments_is_ignored():
    draft = {"RSES": [1] * 10, "extras": {"RSES": {"1": 1}}}
    assert parts.answers_and_extras(["PHQ-9"], draft) == ({}, {})
