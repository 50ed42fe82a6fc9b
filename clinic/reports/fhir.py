"""A patient's questionnaires as a FHIR R4 Bundle: Patient, the Questionnaires used, a
QuestionnaireResponse per response and an Observation per total score.

Built and validated with ``fhir.resources.R4B``: Observation and QuestionnaireResponse have the
same shape in R4 (4.0.1) and R4B, and no ``fhirVersion`` 4.3.0 is claimed anywhere.
fhir.resources does not check value-set bindings, so the status codes are checked here.
LOINC codes come only from the instrument definitions (shared/INSTRUMENTS.md); an instrument
without a verified LOINC code (RSES, WHO-5, PCL-5) is coded in the project's own code system
and says so in the code's text, rather than carrying an invented LOINC code.

What the HL7 validator checks and a model alone does not (tests/reports/test_fhir_validity.py
checks every exported Bundle against the official R4 JSON schema and these rules):
- ids are globally unique and stable: the Patient's and each response's are UUIDs stored with
  the row (``fhir_id``, random, so two deployments never issue the same one), the
  Observation's is derived from its response's; every ``fullUrl`` is ``urn:uuid:<id>`` of the
  resource it holds, and a Questionnaire's is ``<base>/Questionnaire/<id>``;
- a clinician-entered response with items missing (a prorated total) is ``stopped`` (R4:
  "partially filled out ... without all required answers"), never ``completed`` against items
  its Questionnaire marks required; its Observation says the total is prorated;
- every answer option carries its label and its value (``ordinalValue``), and an answer is the
  option the patient chose: raw, as stored (reverse scoring belongs to the total, not here);
- totals are Quantities with the UCUM unit ``{score}``.
"""

import uuid

from fhir.resources.R4B.bundle import Bundle

from clinic.measures.instruments import get_instrument

LOINC = "http://loinc.org"
PROJECT_SYSTEM = "urn:liftclinic:instrument"
QUESTIONNAIRE_BASE = "https://liftclinic.invalid/fhir/Questionnaire/"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
# Required bindings (FHIR R4): QuestionnaireResponse.status and Observation.status.
QR_STATUSES = frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"})
OBSERVATION_STATUSES = frozenset({"registered", "preliminary", "final", "amended", "corrected",
                                  "cancelled", "entered-in-error", "unknown"})
QUESTIONNAIRE_STATUSES = frozenset({"draft", "active", "retired", "unknown"})
BUNDLE_TYPES = frozenset({"collection"})


class InvalidCode(ValueError):
    """A code outside its required value set: a bug here, never something to send."""


def checked(value, allowed, name):
    if value not in allowed:
        raise InvalidCode(f"{name} {value!r} is not one of {sorted(allowed)}")
    return value


def _urn(resource_id):
    return f"urn:uuid:{resource_id}"


def observation_id(response):
    """The Observation of a response's total: derived from the response's stored UUID, so it is
    as unique and as stable as the response's own id."""
    return uuid.uuid5(response.fhir_id, "observation")


def questionnaire_id(instrument):
    return f"{instrument.code.lower()}-{instrument.version}"


def questionnaire_canonical(instrument):
    """The versioned canonical URL of the instrument's Questionnaire (in the same Bundle)."""
    return f"{QUESTIONNAIRE_BASE}{instrument.code.lower()}|{instrument.version}"


def answer_system(instrument):
    """The project's code system for an instrument's answer options without a LOINC code."""
    return f"{PROJECT_SYSTEM}:{instrument.code.lower()}:answer"


def _coding(instrument, option):
    if option.loinc_answer:
        return {"system": LOINC, "code": option.loinc_answer, "display": option.label}
    return {"system": answer_system(instrument), "code": str(option.value),
            "display": option.label}


def _answer(instrument, item, raw):
    option = next((o for o in item.options if o.value == raw), None)
    if option is None:  # not an option of the item (never stored by the scoring rules)
        return {"valueInteger": raw}
    return {"valueCoding": _coding(instrument, option)}


def _item(instrument, item, raw):
    return {"linkId": str(item.number), "text": item.text,
            "answer": [_answer(instrument, item, raw)]}


def _option(instrument, option):
    """An answer option: its coding with the label, and its value as ``ordinalValue``."""
    return {"valueCoding": {**_coding(instrument, option), "extension": [
        {"url": ORDINAL_VALUE, "valueDecimal": option.value}]}}


def questionnaire(instrument):
    """The instrument as a Questionnaire: items carry the LOINC codes INSTRUMENTS.md gives.

    QuestionnaireResponse items have no code of their own in R4; the codes live here, and each
    response names this Questionnaire by its canonical URL.
    """
    items = []
    for item in (*instrument.items, *instrument.optional_items):
        entry = {"linkId": str(item.number), "text": item.text, "type": "choice",
                 "required": item.scored,
                 "answerOption": [_option(instrument, option) for option in item.options]}
        if item.loinc:
            entry["code"] = [{"system": LOINC, "code": item.loinc}]
        items.append(entry)
    resource = {"resourceType": "Questionnaire", "id": questionnaire_id(instrument),
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


def missing_items(response):
    """How many scored items a response left unanswered (a clinician-entered paper form)."""
    return sum(1 for raw in response.answers if raw is None)


def questionnaire_response(response, patient_urn):
    instrument = get_instrument(response.instrument_code)
    if missing_items(response):
        status = "stopped"  # required items unanswered: R4 forbids "completed"/"amended" here
    else:
        status = "amended" if response.supersedes_id else "completed"
    status = checked(status, QR_STATUSES, "QuestionnaireResponse.status")
    items = [_item(instrument, item, raw) for item, raw in zip(instrument.items, response.answers,
                                                               strict=True) if raw is not None]
    for item in instrument.optional_items:
        raw = (response.extra_answers or {}).get(str(item.number))
        if raw is not None:
            items.append(_item(instrument, item, raw))
    resource = {"resourceType": "QuestionnaireResponse", "id": str(response.fhir_id),
                "questionnaire": questionnaire_canonical(instrument), "status": status,
                "subject": {"reference": patient_urn},
                "authored": response.completed_at.isoformat(timespec="seconds"),
                "item": items}
    return resource


def observation(response, patient_urn, qr_urn):
    instrument = get_instrument(response.instrument_code)
    status = checked("amended" if response.supersedes_id else "final", OBSERVATION_STATUSES,
                     "Observation.status")
    resource = {"resourceType": "Observation", "id": str(observation_id(response)),
                "status": status,
                "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey",
                                          "display": "Survey"}]}],
                "code": total_code(instrument), "subject": {"reference": patient_urn},
                "effectiveDateTime": response.completed_at.isoformat(timespec="seconds"),
                "valueQuantity": {"value": response.total, "unit": "{score}", "system": UCUM,
                                  "code": "{score}"},
                "derivedFrom": [{"reference": qr_urn}]}
    if response.band:
        resource["interpretation"] = [{"text": response.band}]
    missing = missing_items(response)
    if response.prorated or missing:
        resource["note"] = [{"text": (
            f"Prorated total: {missing} of {len(instrument.items)} items unanswered on a "
            "clinician-entered form, replaced by the mean of the answered items.")}]
    return resource


def patient_resource(patient):
    resource = {
        "resourceType": "Patient", "id": str(patient.fhir_id),
        "identifier": [{"system": f"urn:liftclinic:clinic:{patient.clinic_id}:reference",
                        "value": patient.reference}],
        "name": [{"text": patient.display_name}],
        "active": patient.is_active,
    }
    if patient.date_of_birth is not None:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    return resource


def patient_bundle(patient, responses, generated_at):
    """The Bundle (type collection) as a validated R4B model."""
    patient_urn = _urn(patient.fhir_id)
    entries = [{"fullUrl": patient_urn, "resource": patient_resource(patient)}]
    for code in dict.fromkeys(r.instrument_code for r in responses):
        instrument = get_instrument(code)
        entries.append({"fullUrl": f"{QUESTIONNAIRE_BASE}{questionnaire_id(instrument)}",
                        "resource": questionnaire(instrument)})
    for response in responses:
        qr_urn = _urn(response.fhir_id)
        entries.append({"fullUrl": qr_urn,
                        "resource": questionnaire_response(response, patient_urn)})
        entries.append({"fullUrl": _urn(observation_id(response)),
                        "resource": observation(response, patient_urn, qr_urn)})
    return Bundle.model_validate({
        "resourceType": "Bundle", "type": checked("collection", BUNDLE_TYPES, "Bundle.type"),
        "timestamp": generated_at.isoformat(timespec="seconds"), "entry": entries})


def bundle_json(bundle) -> bytes:
    """Compact JSON bytes of a validated Bundle (no nulls)."""
    return bundle.model_dump_json(exclude_none=True).encode("utf-8")
