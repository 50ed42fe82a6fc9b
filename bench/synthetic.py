"""Synthetic patients for the benchmarks, made by the real services (never real data)."""

import random
from datetime import UTC, datetime, timedelta


def weekly_patients(clinic, user, count, weeks, *, prefix, seed):
    """``count`` patients of ``user`` (primary) with ``weeks`` of weekly PHQ-9 and GAD-7 in an
    episode that began just before the first; returns them."""
    from clinic.extensions import db
    from clinic.measures import services as measures
    from clinic.patients.models import CareTeamMember, Episode, Patient

    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    now = datetime.now(UTC)
    made = []
    for n in range(count):
        patient = Patient(clinic=clinic, display_name=f"{prefix} Patient {n:03d}",
                          reference=f"{prefix[0]}-{n:03d}")
        patient.episodes.append(Episode(start=(now - timedelta(weeks=weeks, days=1)).date()))
        patient.care_team.append(CareTeamMember(user=user, is_primary=True))
        made.append(patient)
    db.session.add_all(made)
    db.session.commit()
    for patient in made:
        for week in range(weeks):
            when = now - timedelta(weeks=weeks - week)
            level = 2 if week < weeks // 2 else 1
            items = [max(0, min(3, level + rng.choice((-1, 0, 1)))) for _ in range(9)]
            measures.record_clinician_response(user, patient.id, "PHQ-9", [*items[:8], 0], when)
            measures.record_clinician_response(user, patient.id, "GAD-7", items[:7], when)
    return made
