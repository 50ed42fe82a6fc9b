"""The episode outcome (clinic.measures.outcomes): every worked example of shared/INSTRUMENTS.md
"Change over time" through the one function the page, PDF, CSV and API print, the paired
occasion rule, and response/remission only from a baseline that was a case."""

from datetime import UTC, date, datetime, timedelta
from itertools import count
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from clinic.measures.outcomes import episode_outcome, paired_occasions

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
START = date(2026, 3, 2)
_ids = count(1)


def r(code, total, day, *, invitation=None, prorated=False, hour=10, supersedes=None):
    """A response as the outcome reads it: clinician-entered unless ``invitation`` is given."""
    return SimpleNamespace(
        id=next(_ids), instrument_code=code, total=total, prorated=prorated,
        completed_at=datetime(2026, 3, day, hour, tzinfo=UTC), invitation_id=invitation,
        source="link" if invitation else "clinician", supersedes_id=supersedes)


def outcome(*responses, tz=LONDON, invitation_of=None):
    histories = {}
    for response in responses:
        histories.setdefault(response.instrument_code, []).append(response)
    return episode_outcome(histories, START, None, tz, invitation_of)


def instrument(result, code):
    return result.as_dict()["instruments"][[i.code for i in result.instruments].index(code)]


@pytest.mark.parametrize(
    ("baseline", "latest", "change", "recovery", "response", "remission"),
    [
        pytest.param(18, 11, "reliable_improvement", "not_recovered", False, False, id="18-11"),
        pytest.param(12, 7, "no_reliable_change", "recovered", False, False, id="12-7"),
        pytest.param(16, 8, "reliable_improvement", "reliable_recovery", True, False, id="16-8"),
        pytest.param(10, 4, "reliable_improvement", "reliable_recovery", True, True, id="10-4"),
    ],
)
def test_phq9_worked_examples(baseline, latest, change, recovery, response, remission):
    result = instrument(outcome(r("PHQ-9", baseline, 3), r("PHQ-9", latest, 20)), "PHQ-9")
    assert (result["change"], result["recovery"], result["response"], result["remission"]) == (
        change, recovery, response, remission)
    assert result["baseline"] == {"total": baseline, "date": "2026-03-03", "prorated": False}
    assert result["latest"] == {"total": latest, "date": "2026-03-20", "prorated": False}


def test_gad7_6_to_11_is_a_reliable_deterioration_from_no_case():
    result = instrument(outcome(r("GAD-7", 6, 3), r("GAD-7", 11, 10)), "GAD-7")
    assert (result["change"], result["recovery"], result["response"], result["remission"]) == (
        "reliable_deterioration", "not_a_case_at_baseline", None, None)


def test_who5_8_to_11_is_a_reliable_improvement_still_poor_well_being():
    result = instrument(outcome(r("WHO-5", 8, 3), r("WHO-5", 11, 10)), "WHO-5")
    assert (result["change"], result["recovery"]) == ("reliable_improvement", "not_recovered")


def test_rses_has_no_change_label_and_no_recovery():
    result = outcome(r("RSES", 12, 3), r("RSES", 20, 10))
    assert instrument(result, "RSES")["change"] is None
    assert instrument(result, "RSES")["recovery"] is None
    assert result.instrument("RSES").raw_change == 8


@pytest.mark.parametrize(("baseline", "latest"), [(4, 2), (9, 2), (0, 0)])
def test_phq9_response_and_remission_need_a_baseline_that_was_a_case(baseline, latest):
    result = outcome(r("PHQ-9", baseline, 3), r("PHQ-9", latest, 10))
    phq = instrument(result, "PHQ-9")
    assert (phq["response"], phq["remission"]) == (None, None)
    assert phq["recovery"] == "not_a_case_at_baseline"
    assert result.instrument("PHQ-9").response_words == (
        "Response and remission: not applicable (baseline not a case)")


def test_phq9_response_words_from_a_case():
    assert outcome(r("PHQ-9", 10, 3), r("PHQ-9", 4, 10)).instrument(
        "PHQ-9").response_words == "Response, remission"
    assert outcome(r("PHQ-9", 18, 3), r("PHQ-9", 11, 10)).instrument(
        "PHQ-9").response_words == "No response, no remission"


def test_one_score_has_no_change_at_all():
    result = instrument(outcome(r("PHQ-9", 14, 3)), "PHQ-9")
    assert result["baseline"] == result["latest"]
    assert (result["change"], result["recovery"], result["response"], result["remission"]) == (
        None, None, None, None)


def test_paired_worked_example_through_one_invitation_each():
    """PHQ-9 14 -> 8 with GAD-7 9 -> 7: recovered, reliable improvement, reliable recovery."""
    result = outcome(r("PHQ-9", 14, 3, invitation=1), r("GAD-7", 9, 3, invitation=1),
                     r("PHQ-9", 8, 24, invitation=2), r("GAD-7", 7, 24, invitation=2))
    assert result.as_dict()["paired"] == {
        "occasions": 2, "case_at_baseline": True, "recovered": True,
        "reliable_improvement": True, "reliable_recovery": True,
        "reliable_deterioration": False}
    assert result.paired.words == "Recovered, reliable recovery; reliable improvement."


def test_phq9_recovered_while_gad7_still_a_case_is_not_recovered_paired():
    result = outcome(r("PHQ-9", 14, 3), r("GAD-7", 12, 3), r("PHQ-9", 8, 24), r("GAD-7", 10, 24))
    assert instrument(result, "PHQ-9")["recovery"] == "reliable_recovery"
    paired = result.as_dict()["paired"]
    assert (paired["case_at_baseline"], paired["recovered"], paired["reliable_recovery"],
            paired["reliable_improvement"]) == (True, False, False, True)
    assert result.paired.words.startswith("Not recovered")


def test_one_paired_occasion_gives_no_paired_outcome_and_says_so():
    result = outcome(r("PHQ-9", 14, 3, invitation=1), r("GAD-7", 9, 3, invitation=1),
                     r("PHQ-9", 8, 24, invitation=2), r("GAD-7", 7, 25, invitation=3))
    assert result.as_dict()["paired"] == {
        "occasions": 1, "case_at_baseline": None, "recovered": None,
        "reliable_improvement": None, "reliable_recovery": None,
        "reliable_deterioration": None}
    assert "Not computed" in result.paired.words and "1 paired occasion" in result.paired.words


def test_paired_deterioration_and_improvement_cancel():
    result = outcome(r("PHQ-9", 20, 3), r("GAD-7", 4, 3), r("PHQ-9", 12, 24), r("GAD-7", 9, 24))
    paired = result.as_dict()["paired"]
    assert (paired["reliable_improvement"], paired["reliable_deterioration"]) == (False, False)


def test_paired_not_a_case_at_baseline():
    result = outcome(r("PHQ-9", 6, 3), r("GAD-7", 5, 3), r("PHQ-9", 3, 24), r("GAD-7", 1, 24))
    paired = result.as_dict()["paired"]
    assert (paired["case_at_baseline"], paired["recovered"], paired["reliable_recovery"]) == (
        False, None, None)


def test_occasions_pair_by_invitation_or_by_paper_date_only():
    tz = LONDON
    # Paper forms on the same day pair; a link answer and a paper form of the same day do not;
    # paper forms on different days do not.
    phq = [r("PHQ-9", 14, 3), r("PHQ-9", 12, 10, invitation=7), r("PHQ-9", 11, 17)]
    gad = [r("GAD-7", 9, 3, hour=16), r("GAD-7", 8, 10), r("GAD-7", 7, 18)]
    occasions = paired_occasions(phq, gad, tz)
    assert [(o.phq9.total, o.gad7.total, o.date) for o in occasions] == [
        (14, 9, date(2026, 3, 3))]


def test_paper_dates_are_the_clinics_calendar():
    """02:00 UTC on 4 Mar and 20:00 UTC on 3 Mar are both 3 Mar in New York."""
    phq = [SimpleNamespace(id=1, total=14, prorated=False, invitation_id=None,
                           completed_at=datetime(2026, 3, 4, 2, tzinfo=UTC))]
    gad = [SimpleNamespace(id=2, total=9, prorated=False, invitation_id=None,
                           completed_at=datetime(2026, 3, 3, 20, tzinfo=UTC))]
    assert len(paired_occasions(phq, gad, NEW_YORK)) == 1
    assert paired_occasions(phq, gad, LONDON) == []
    result = episode_outcome({"PHQ-9": phq}, START, None, NEW_YORK)
    assert result.instrument("PHQ-9").baseline.date == date(2026, 3, 3)


def test_a_correction_keeps_the_occasion_of_the_link_answer_it_corrects():
    phq_link = r("PHQ-9", 15, 3, invitation=1)
    corrected = r("PHQ-9", 14, 3, supersedes=phq_link.id)
    responses = [corrected, r("GAD-7", 9, 3, invitation=1),
                 r("PHQ-9", 8, 24, invitation=2), r("GAD-7", 7, 24, invitation=2)]
    assert outcome(*responses).paired.occasions == 1
    fixed = outcome(*responses, invitation_of={corrected.id: 1})
    assert fixed.paired.occasions == 2 and fixed.paired.baseline.phq9.total == 14


def test_the_result_does_not_depend_on_the_order_forms_were_entered():
    early, late = r("PHQ-9", 16, 3), r("PHQ-9", 8, 24)
    gad_early, gad_late = r("GAD-7", 12, 3), r("GAD-7", 6, 24)
    forward = outcome(early, late, gad_early, gad_late).as_dict()
    backward = outcome(late, early, gad_late, gad_early).as_dict()
    assert forward == backward
    assert forward["instruments"][0]["baseline"]["total"] == 16


def test_prorated_totals_are_marked_in_baseline_and_latest():
    result = instrument(outcome(r("PHQ-9", 14, 3, prorated=True), r("PHQ-9", 8, 24)), "PHQ-9")
    assert (result["baseline"]["prorated"], result["latest"]["prorated"]) == (True, False)


def test_episode_dates_and_order_of_instruments():
    result = episode_outcome({"RSES": [r("RSES", 15, 3)], "PHQ-9": [r("PHQ-9", 5, 3)]},
                             START, START + timedelta(days=30), LONDON)
    data = result.as_dict()
    assert data["episode"] == {"start": "2026-03-02", "end": "2026-04-01"}
    assert [i["instrument"] for i in data["instruments"]] == ["PHQ-9", "RSES"]
    assert data["paired"]["occasions"] == 0
    assert "no paired occasion" in result.paired.words
