"""schemathesis 4 against the app's own OpenAPI document, with a valid token, on every operation.

Each operation gets generated cases (valid and invalid data) sent through the real app and
database; the checks are schemathesis' defaults: no server error, every response in the
documented status codes, content types, headers and schema, invalid data refused. Left out:
``positive_data_acceptance``, which wants a 2xx for any schema-valid body, while the services'
own rules (a reference already in use, a future date, an admin naming no primary clinician)
rightly answer 422 to some of them. Path ids are
the world's real ones, so cases reach the services rather than stopping at a 404. Hypothesis
runs derandomized (same cases every run); the number of cases is printed.
"""

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.conftest import basic
from clinic.api.docs import METHODS, openapi_document
from clinic.auth.models import ApiToken
from clinic.extensions import db

EXAMPLES_PER_OPERATION = 20
FEWER_EXAMPLES = {"/api/v1/patients/{patient_id}/report.pdf": 8}  # WeasyPrint takes its time


def path_ids(world):
    world.token("therapist")  # a token of the therapist's own, for DELETE /tokens/{token_id}
    own_token_id = db.session.scalar(sa.select(sa.func.max(ApiToken.id)).where(
        ApiToken.user_id == world.therapist.id))
    return {"token_id": own_token_id, "patient_id": world.patient.id, "alert_id": world.alert_id,
            "exercise_id": world.own_exercise_id, "template_id": world.template_id,
            "level_id": world.level_id, "assignment_id": world.assignment_id,
            "invitation_id": world.invitation_id, "response_id": world.response_id,
            "schedule_id": world.schedule_id, "member_id": world.member_id, "index": 0}


@pytest.mark.slow
def test_every_operation_survives_schemathesis(app, world, capsys):
    document = openapi_document()
    schema = schemathesis.openapi.from_dict(document)
    schema.app = app  # as from_wsgi does: cases go through the app in-process
    operations = [result.ok() for result in schema.get_all_operations()]
    # Every operation of the document is fuzzed (an invalid one would be an Err, not an op).
    assert len(operations) == sum(len(set(item) & set(METHODS))
                                  for item in document["paths"].values())
    ids = path_ids(world)
    counted = {"cases": 0}
    failures = []
    statuses = {}

    def headers_for(operation):
        if operation.path == "/api/v1/tokens":
            return {**basic(world.therapist.email), "Accept-Encoding": "identity"}
        # Revoking the current token must not end the run: each such case gets its own.
        # identity: schemathesis's WSGI calls do not undo a Content-Encoding (the app compresses
        # JSON for clients that accept it: tests/test_delivery.py)
        return {"Authorization": f"Bearer {world.token('therapist')}",
                "Accept-Encoding": "identity"}

    def fuzz(operation, strategy):
        @settings(max_examples=FEWER_EXAMPLES.get(operation.path, EXAMPLES_PER_OPERATION),
                  derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case):
            counted["cases"] += 1
            db.session.commit()  # the test's own read transaction ends before each request
            with app.app_context():
                try:
                    response = case.call_and_validate(headers=headers_for(operation),
                                           excluded_checks=[positive_data_acceptance])
                except (AssertionError, FailureGroup) as error:  # one report for every op
                    failures.append(f"{operation.method.upper()} {operation.path}: "
                                    f"{type(error).__name__}: {str(error)[:1500]}")
                else:
                    statuses.setdefault(operation.label, set()).add(response.status_code)

        run()

    for operation in operations:
        wanted = {p.name: ids[p.name] for p in operation.path_parameters}
        fuzz(operation, st.one_of([operation.as_strategy(mode, path_parameters=wanted)
                                   for mode in (GenerationMode.POSITIVE,
                                                GenerationMode.NEGATIVE)]))
    with capsys.disabled():
        print(f"\nschemathesis: {counted['cases']} cases over {len(operations)} operations")
        for label, codes in sorted(statuses.items()):
            print(f"  {label}: {sorted(codes)}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def config_overrides():
    # Tokens and exports are rate-limited per address; the fuzzer sends many from 127.0.0.1.
    return {"RATELIMIT_TOKENS": "10000 per minute", "RATELIMIT_EXPORTS": "10000 per minute"}
