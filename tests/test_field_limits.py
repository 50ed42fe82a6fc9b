"""One set of limits for pages and API: a walk over every page form and every API input schema.

Each bound a form or schema checks (a length, a number range, a date window) must be one of
``clinic.limits`` (it carries the limit's name), and a page form and the API schema that write
the same record must name the same limit for the same field. A new form or schema must be
paired here, or listed as one side only with the reason; a new typed field must carry a limit.
The HTTP behaviour (422 with the message on both doors) is tests/test_page_api_limits.py's.
"""

import importlib
import inspect
import pkgutil

import marshmallow
import pytest
from flask_wtf import FlaskForm
from marshmallow import fields as ma_fields
from marshmallow import validate as ma_validate
from wtforms import fields as wt_fields
from wtforms import validators as wt_validators

import clinic
from clinic import limits
from clinic.api.schemas.common import In


def _classes():
    forms, schemas = {}, {}
    for module_info in pkgutil.walk_packages(clinic.__path__, "clinic."):
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if not inspect.isclass(value) or value.__module__ != module.__name__:
                continue
            if issubclass(value, FlaskForm) and value is not FlaskForm:
                forms[name] = value
            elif issubclass(value, In) and value is not In:
                schemas[name] = value
    return forms, schemas


FORMS, SCHEMAS = _classes()

# A page form and the schema that writes the same thing: {form field: schema field}.
PAIRS = [
    ("PatientForm", "PatientIn", {"display_name": "display_name", "reference": "reference",
                                  "email": "email", "date_of_birth": "date_of_birth"}),
    ("PatientForm", "PatientPatch", {"display_name": "display_name", "reference": "reference",
                                     "email": "email", "date_of_birth": "date_of_birth"}),
    ("AssignForm", "AssignmentIn", {"start_date": "start_date"}),
    ("NewPatientForm", "PatientIn", {"episode_start": "episode_start"}),
    ("OnboardingForm", "PatientIn", {"display_name": "display_name", "reference": "reference",
                                     "email": "email", "date_of_birth": "date_of_birth",
                                     "episode_start": "episode_start"}),
    ("EpisodeStartForm", "PatientPatch", {"episode_start": "episode_start"}),
    ("NewEpisodeForm", "EpisodeIn", {"start": "start", "reason": "reason"}),
    ("ReasonForm", "StatusIn", {"reason": "reason"}),
    ("ReasonForm", "DeclineIn", {"reason": "reason"}),
    ("LevelChangeForm", "LevelChangeIn", {"reason": "reason"}),
    ("TargetForm", "TargetIn", {"sets": "sets", "reps_min": "reps_min",
                                "reps_max": "reps_max", "reason": "reason"}),
    ("AcknowledgeForm", "AcknowledgeIn", {"note": "note"}),
    ("BulkAcknowledgeForm", "AcknowledgeIn", {"note": "note"}),
    ("ScheduleForm", "ScheduleIn", {"starts_on": "starts_on", "ends_on": "ends_on"}),
    ("ResponseMetaForm", "CorrectionIn", {"completed_on": "completed_at", "reason": "reason"}),
    ("ResponseMetaForm", "ResponseIn", {"completed_on": "completed_at"}),
    ("ReportForm", "ReportArgs", {"start": "start", "end": "end"}),
    ("TemplateForm", "TemplateIn", {"name": "name", "description": "description"}),
    ("TemplateForm", "TemplatePatch", {"name": "name", "description": "description"}),
    ("LevelForm", "LevelIn", {"name": "name", "min_weeks": "min_weeks",
                              "sessions_per_week": "sessions_per_week", "criteria": "criteria"}),
    ("ExerciseForm", "ExerciseIn", {"name": "name", "ladder_step": "ladder_step",
                                    "equipment": "equipment", "easier_tip": "easier_tip",
                                    "cue1": "cues", "cue2": "cues", "cue3": "cues"}),
]

# Forms with no JSON counterpart, and why.
PAGE_ONLY = {
    "LoginForm": "the API trades a password for a token by HTTP Basic",
    "PasswordChangeForm": "passwords are changed on the page only",
    "PasswordResetForm": "an admin resets a password on the page only",
    "UserForm": "clinic users are managed on the page only",
    "NewUserForm": "clinic users are managed on the page only",
    "ClinicSettingsForm": "clinic settings are managed on the page only",
    "CodeForm": "two-step login happens on the page (the API takes X-OTP-Code)",
    "AccountSetupForm": "two-step login is set up on the page only",
    "CareTeamAddForm": "one choice of clinician (an id); CareTeamIn takes the id",
    "InstrumentsForm": "a choice among instruments; InvitationIn takes the same codes",
    "EmptyForm": "only the CSRF token",
}
# Schemas with no page form class, and why (their page parses by hand, tested over HTTP).
API_ONLY = {
    "PageArgs": "query paging (pages use the same MAX_PAGE in clinic.inputs)",
    "PatientListArgs": "caseload query (the page's search box shares the 'search' limit)",
    "AlertArgs": "alert list query",
    "InvitationIn": "instrument codes, like the page's InstrumentsForm choices",
    "CareTeamIn": "an id",
    "ExercisePatch": "retire or restore: a button on the page",
    "SetIn": "the session page parses sets by hand (clinic.programs.entry)",
    "SessionIn": "the session page parses by hand with the same limits "
                 "(test_page_api_limits proves both refuse the same)",
    "LevelRowIn": "the level editor parses rows by hand; the service checks both",
    "TokenIn": "tokens are made through the API only (the page lists and revokes)",
    "EquipmentIn": "the program page parses the loads by hand (set_equipment, the load_kg "
                   "range of parse_load)",
    "HoldReviewIn": "the program page's review note goes through the same service",
}

# Bounds that are the shape of a request, not of a clinical value (ids, list sizes, paging).
SHAPE = {("PageArgs", "page"), ("PageArgs", "per_page"), ("PatientListArgs", "page"),
         ("PatientListArgs", "per_page"), ("AlertArgs", "page"), ("AlertArgs", "per_page"),
         ("AlertArgs", "patient_id"), ("ResponseIn", "answers"), ("CorrectionIn", "answers"),
         ("InvitationIn", "instruments"), ("ExerciseIn", "cues"), ("LevelIn", "exercises"),
         ("SessionIn", "sets"), ("LevelRowIn", "exercise_id"), ("SetIn", "exercise_id"),
         ("AssignmentIn", "template_id"), ("CareTeamIn", "user_id"),
         ("PatientIn", "primary_clinician_id"), ("EquipmentIn", "loads_kg")}

TYPED_PAGE_FIELDS = (wt_fields.StringField, wt_fields.IntegerField, wt_fields.DateField,
                     wt_fields.DecimalField, wt_fields.FloatField)
UNBOUNDED_PAGE_FIELDS = {
    ("LoginForm", "email"): "a login attempt is compared, never stored",
    ("LoginForm", "password"): "a login attempt is compared, never stored",
    ("PasswordChangeForm", "current_password"): "compared, never stored",
    ("ClinicSettingsForm", "timezone"): "must name a zone of the tz database",
    ("TargetForm", "load_kg"): "parsed by parse_load with the load_kg range (tested over HTTP)",
}


def page_limits(form_class, name):
    """The limit names a page field's validators carry; raises on a bound with no name."""
    unbound = form_class.__dict__.get(name) or getattr(form_class, name)
    keys = set()
    for validator in unbound.kwargs.get("validators") or ():
        if isinstance(validator, (wt_validators.Length, wt_validators.NumberRange,
                                  limits.PageDateWindow)):
            assert hasattr(validator, "limit_key"), (
                f"{form_class.__name__}.{name}: a bound written in place; take it from "
                "clinic.limits")
            keys.add(validator.limit_key)
    return keys


def _validators(field):
    found = list(field.validators)
    if isinstance(field, ma_fields.List):
        found += list(field.inner.validators)
    return found


def api_limits(schema_class, name):
    field = schema_class._declared_fields[name]
    keys = set()
    for validator in _validators(field):
        if isinstance(validator, (ma_validate.Length, ma_validate.Range, limits.ApiDateWindow)):
            if hasattr(validator, "limit_key"):
                keys.add(validator.limit_key)
            else:
                assert (schema_class.__name__, name) in SHAPE, (
                    f"{schema_class.__name__}.{name}: a bound written in place; take it from "
                    "clinic.limits")
    return keys


def test_every_form_and_schema_is_paired_or_said_to_have_one_side():
    paired_forms = {form for form, _, _ in PAIRS}
    paired_schemas = {schema for _, schema, _ in PAIRS}
    assert sorted(set(FORMS) - paired_forms - set(PAGE_ONLY)) == []
    assert sorted(set(SCHEMAS) - paired_schemas - set(API_ONLY)) == []
    assert sorted((paired_forms | set(PAGE_ONLY)) - set(FORMS)) == []
    assert sorted((paired_schemas | set(API_ONLY)) - set(SCHEMAS)) == []


@pytest.mark.parametrize(("form", "schema", "fields"), PAIRS,
                         ids=[f"{f}-{s}" for f, s, _ in PAIRS])
def test_a_page_and_the_api_check_the_same_limits(form, schema, fields):
    for form_field, schema_field in fields.items():
        on_page = page_limits(FORMS[form], form_field)
        on_api = api_limits(SCHEMAS[schema], schema_field)
        assert on_page, f"{form}.{form_field} has no limit"
        assert on_page == on_api, (f"{form}.{form_field} {on_page} != "
                                   f"{schema}.{schema_field} {on_api}")


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_typed_page_field_carries_a_limit(form):
    form_class = FORMS[form]
    for name in dir(form_class):
        unbound = getattr(form_class, name)
        field_class = getattr(unbound, "field_class", None)
        if field_class is None or not issubclass(field_class, TYPED_PAGE_FIELDS):
            continue
        if (form, name) in UNBOUNDED_PAGE_FIELDS or any(
                issubclass(base, FlaskForm) and (base.__name__, name) in UNBOUNDED_PAGE_FIELDS
                for base in form_class.__mro__):
            continue
        assert page_limits(form_class, name), f"{form}.{name} takes input with no limit"


@pytest.mark.parametrize("schema", sorted(SCHEMAS))
def test_every_typed_api_field_carries_a_limit_or_a_choice(schema):
    schema_class = SCHEMAS[schema]
    for name, field in schema_class._declared_fields.items():
        if isinstance(field, (ma_fields.Boolean, ma_fields.Nested)):
            continue
        if any(isinstance(v, ma_validate.OneOf) for v in _validators(field)):
            continue  # a choice is its own bound
        keys = api_limits(schema_class, name)
        if (schema, name) in SHAPE:
            continue
        assert keys, f"{schema}.{name} takes input with no limit"


def test_every_limit_is_used_by_a_form_or_a_schema():
    used = set()
    for form_class in FORMS.values():
        for name in dir(form_class):
            if hasattr(getattr(form_class, name), "field_class"):
                used |= page_limits(form_class, name)
    for schema_class in SCHEMAS.values():
        for name in schema_class._declared_fields:
            used |= api_limits(schema_class, name)
    # The hand-parsed session form reads these straight from the tables.
    hand_parsed = {"reps_done", "seconds_done", "rpe", "mood", "pain", "duration_minutes",
                   "note", "pain_where", "load_kg", "load_target", "rest_seconds"}
    defined = set(limits.TEXT_MAX) | set(limits.NUMBER_RANGE) | {"date"}
    assert sorted(defined - used - hand_parsed) == []


def test_the_limit_objects_hold_the_table_bounds():
    for key, most in limits.TEXT_MAX.items():
        assert limits.length(key).max == most
        assert limits.api_length(key).max == most
        assert limits.api_length(key, required=True).min == 1
    for key, (low, high) in limits.NUMBER_RANGE.items():
        page, api = limits.number_range(key), limits.api_range(key)
        assert (page.min, page.max) == (api.min, api.max) == (low, high)


def test_a_date_outside_the_window_is_refused_with_the_same_words_on_both_sides():
    from datetime import date

    for day in (date(1899, 12, 31), date(2101, 1, 1)):
        with pytest.raises(marshmallow.ValidationError) as on_api:
            limits.api_date_window()(day)
        field = type("Field", (), {"data": day})()
        with pytest.raises(wt_validators.ValidationError) as on_page:
            limits.page_date_window()(None, field)
        assert str(on_page.value) == on_api.value.messages[0] == (
            "Use a date between 1900 and 2100.")
    for day in (date(1900, 1, 1), date(2100, 12, 31)):
        limits.api_date_window()(day)
