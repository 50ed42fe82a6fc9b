"""A patient's questionnaires as a FHIR R4 Bundle: Patient, the Questionnaires used, a
QuestionnaireResponse per response and an Observation per total score.

Built and validated with ``fhir.resources.R4B``: Observation and QuestionnaireResponse have the
same shape in R4 (4.0.1) and R4B, and no ``fhirVersion`` 4.3.0 is claimed anywhere.
fhir.resources does not check value-set bindings, so the status codes are checked here.
LOINC codes come only from the instrument definitions (shared/INSTRUMENTS.md); an instrument
without a verified LOINC code (RSES, WHO-5, PCL-5) is coded in the project's own code system
and says so in the code's text, rather than carrying an invented LOINC code.
"""

import uuid

from fhir.resources.R4B.bundle import Bundle

from clinic.measures.instruments import get_instrument

LOINC = "http://loinc.org"
PROJECT_SYSTEM = "urn:liftclinic:instrument"
QUESTIONNAIRE_BASE = "https://liftclinic.invalid/fhir/Questionnaire/"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# Required bindings (FHIR R4): QuestionnaireResponse.status and Observation.status.
QR_STATUSES = frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"})
OBSERVATION_STATUSES = frozenset({"registered", "preliminary", "final", "amended", "corrected",
                                  "cancelled", "entered-in-error", "unknown"})
QUESTIONNAIRE_STATUSES = frozenset({"draft", "active", "retired", "unknown"})
BUNDLE_TYPES = frozenset({"collection"})
_NAMESPACE = uuid.UUID("0d5a3c2e-6f1b-4f59-9a61-3c0c3b8f4e21")


class InvalidCode(ValueError):
    """A code outside its required value set: a bug here, never something to send."""


def checked(value, allowed, name):
    if value not in allowed:
        raise InvalidCode(f"{name} {value!r} is not one of {sorted(allowed)}")
    return value


def _urn(clinic_id, kind, object_id):
    """A stable urn:uuid per record, so the same export twice gives the same ids."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{clinic_id}/{kind}/{object_id}')}"


def questionnaire_canonical(instrument):
    """The versioned canonical URL of the instrument's Questionnaire (in the same Bundle)."""
    return f"{QUESTIONNAIRE_BASE}{instrument.code.lower()}|{instrument.version}"


def _answer(item, raw):
    option = next((o for o in item.options if o.value == raw), None)
    if option is not None and option.loinc_answer:
        return {"valueCoding": {"system": LOINC, "code": option.loinc_answer,
                                "display": option.label}}
    return {"valueInteger": raw}


def _item(item, raw):
    return {"linkId": str(item.number), "text": item.text, "answer": [_answer(item, raw)]}


def _option(option):
    if option.loinc_answer:
        return {"valueCoding": {"system": LOINC, "code": option.loinc_answer,
                                "display": option.label}}
    return {"valueInteger": option.value}


def questionnaire(instrument):
    """The instrument as a Questionnaire: items carry the LOINC codes INSTRUMENTS.md gives.

    QuestionnaireResponse items have no code of their own in R4; the codes live here, and each
    response names this Questionnaire by its canonical URL.
    """
    items = []
    for item in (*instrument.items, *instrument.optional_items):
        entry = {"linkId": str(item.number), "text": item.text, "type": "choice",
                 "required": item.scored,
                 "answerOption": [_option(option) for option in item.options]}
        if item.loinc:
            entry["code"] = [{"system": LOINC, "code": item.loinc}]
        items.append(entry)
    resource = {"resourceType": "Questionnaire",
                "id": f"{instrument.code.lower()}-{instrument.version}",
                "url": questionnaire_canonical(instrument).split("|")[0],
                "version": instrument.version, "title": instrument.title,
                "status": checked("active", QUESTIONNAIRE_STATUSES, "Questionnaire.status"),
                "item": items}
    if instrument.loinc_panel:
        resource["code"] = [{"system": LOINC, "code": instrument.loinc_panel}]
    return resource


def total_code(instrument):
    """The Observation code: LOINC where INSTRUMENTS.md gives one, else the project's code."""
    if instrument.loinc_total:
        return {"coding": [{"system": LOINC, "code": instrument.loinc_total,
                            "display": f"{instrument.code} total score"}],
                "text": f"{instrument.code} total score"}
    return {"coding": [{"system": PROJECT_SYSTEM, "code": f"{instrument.code}-total",
                        "display": f"{instrument.code} total score"}],
            "text": f"{instrument.code} total score (no verified LOINC code)"}


def questionnaire_response(response, patient_urn, urn):
    instrument = get_instrument(response.instrument_code)
    status = checked("amended" if response.supersedes_id else "completed", QR_STATUSES,
                     "QuestionnaireResponse.status")
    items = [_item(item, raw) for item, raw in zip(instrument.items, response.answers,
                                                   strict=True) if raw is not None]
    for item in instrument.optional_items:
        raw = (response.extra_answers or {}).get(str(item.number))
        if raw is not None:
            items.append(_item(item, raw))
    resource = {"resourceType": "QuestionnaireResponse", "id": urn.rsplit(":", 1)[1],
                "questionnaire": questionnaire_canonical(instrument), "status": status,
                "subject": {"reference": patient_urn},
                "authored": response.completed_at.isoformat(timespec="seconds"),
                "item": items}
    return resource


def observation(response, patient_urn, urn, qr_urn):
    instrument = get_instrument(response.instrument_code)
    status = checked("amended" if response.supersedes_id else "final", OBSERVATION_STATUSES,
                     "Observation.status")
    resource = {"resourceType": "Observation", "id": urn.rsplit(":", 1)[1], "status": status,
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey",
                                          "display": "Survey"}]}],
                "code": total_code(instrument), "subject": {"reference": patient_urn},
                "effectiveDateTime": response.completed_at.isoformat(timespec="seconds"),
                "valueInteger": response.total, "derivedFrom": [{"reference": qr_urn}]}
    if response.band:
        resource["interpretation"] = [{"text": response.band}]
    return resource


def patient_bundle(patient, responses, generated_at):
    """The Bundle (type collection) as a validated R4B model."""
    patient_urn = _urn(patient.clinic_id, "patient", patient.id)
    entries = [{"fullUrl": patient_urn, "resource": {
        "resourceType": "Patient", "id": patient_urn.rsplit(":", 1)[1],
        "identifier": [{"system": f"urn:liftclinic:clinic:{patient.clinic_id}:reference",
                        "value": patient.reference}],
        "name": [{"text": patient.display_name}],
        "active": patient.is_active,
    }}]
    for code in dict.fromkeys(r.instrument_code for r in responses):
        instrument = get_instrument(code)
        entries.append({"fullUrl": questionnaire_canonical(instrument).split("|")[0],
                        "resource": questionnaire(instrument)})
    for response in responses:
        qr_urn = _urn(patient.clinic_id, "questionnaire-response", response.id)
        obs_urn = _urn(patient.clinic_id, "observation", response.id)
        entries.append({"fullUrl": qr_urn,
                        "resource": questionnaire_response(response, patient_urn, qr_urn)})
        entries.append({"fullUrl": obs_urn,
                        "resource": observation(response, patient_urn, obs_urn, qr_urn)})
    return Bundle.model_validate({
        "resourceType": "Bundle", "type": checked("collection", BUNDLE_TYPES, "Bundle.type"),
        "timestamp": generated_at.isoformat(timespec="seconds"), "entry": entries})


def bundle_json(bundle) -> bytes:
    """Compact JSON bytes of a validated Bundle (no nulls)."""
    return bundle.model_dump_json(exclude_none=True).encode("utf-8")
