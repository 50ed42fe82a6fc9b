"""The clinic's catalogue: exercises and program templates with their levels.

Every row is the clinic's (built-in exercises are everyone's): another clinic's id is a 404.
"""

from clinic.api import schemas
from clinic.api.auth import ApiBlueprint, me
from clinic.api.common import paginate, service_errors
from clinic.api.errors import error_response
from clinic.catalogue import services

blp = ApiBlueprint("api_catalogue", __name__, url_prefix="/api/v1",
                   description="The exercise library and program templates")


# Exercises ---------------------------------------------------------------------------------


@blp.route("/exercises", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.page_of(schemas.ExerciseOut, "ExercisePage"))
def list_exercises(args):
    """The exercise library: built-in exercises and the clinic's own, ladder by ladder."""
    return paginate(services.exercises_for(me().clinic_id), args)


@blp.route("/exercises", methods=["POST"])
@blp.arguments(schemas.ExerciseIn)
@blp.response(201, schemas.ExerciseOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def create_exercise(data):
    """Add the clinic's own exercise to a ladder."""
    return services.create_exercise(me(), data), 201


@blp.route("/exercises/<dbid:exercise_id>", methods=["PATCH"])
@blp.arguments(schemas.ExercisePatch)
@blp.response(200, schemas.ExerciseOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="Built-in exercises stay")
@service_errors
def update_exercise(data, exercise_id):
    """Retire one of the clinic's own exercises, or bring it back."""
    return services.set_exercise_retired(me(), exercise_id, data["retired"])


# Templates ---------------------------------------------------------------------------------


@blp.route("/templates", methods=["GET"])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.page_of(schemas.TemplateOut, "TemplatePage"))
def list_templates(args):
    """The clinic's programs that are not archived, by name."""
    return paginate(services.templates_of(me().clinic_id), args)


@blp.route("/templates", methods=["POST"])
@blp.arguments(schemas.TemplateIn)
@blp.response(201, schemas.TemplateOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def create_template(data):
    """A new program with one empty level (fill it with ``PUT .../levels/{level_id}``)."""
    return services.create_template(me(), data["name"], data["description"]), 201


@blp.route("/templates/<dbid:template_id>", methods=["GET"])
@blp.response(200, schemas.TemplateOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
def get_template(template_id):
    """One program with its levels."""
    return services.template_in_clinic(me().clinic_id, template_id)


@blp.route("/templates/<dbid:template_id>", methods=["PATCH"])
@blp.arguments(schemas.TemplatePatch)
@blp.response(200, schemas.TemplateOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def update_template(data, template_id):
    """Rename, describe, archive or restore a program; fields left out keep their value."""
    return services.update_template(me(), template_id, name=data.get("name"),
                                    description=data.get("description"),
                                    archived=data.get("archived"))


@blp.route("/templates/<dbid:template_id>/levels", methods=["POST"])
@blp.response(201, schemas.LevelOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@service_errors
def add_level(template_id):
    """Add an empty level at the end of a program."""
    return services.add_level(me(), template_id), 201


@blp.route("/templates/<dbid:template_id>/levels/<dbid:level_id>", methods=["DELETE"])
@blp.response(200, schemas.TemplateOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="A program keeps one level")
@service_errors
def remove_level(template_id, level_id):
    """Remove a level; the levels after it move up."""
    return services.remove_level(me(), template_id, level_id)


@blp.route("/templates/starters", methods=["POST"])
@blp.response(200, schemas.page_of(schemas.TemplateOut, "StarterTemplates"))
def add_starters():
    """Add the starter programs the clinic does not have yet; answers the clinic's programs."""
    services.add_starter_templates(me())
    templates = services.templates_of(me().clinic_id)
    return {"items": templates, "total": len(templates), "page": 1,
            "per_page": max(len(templates), 1)}


@blp.route("/templates/<dbid:template_id>/levels/<dbid:level_id>", methods=["PUT"])
@blp.arguments(schemas.LevelIn)
@blp.response(200, schemas.LevelOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def save_level(data, template_id, level_id):
    """Replace a level's settings and exercise rows, validated as a whole."""
    rows = data.pop("exercises")
    try:
        return services.save_level(me(), template_id, level_id, data, rows)
    except services.LevelRowsInvalid as error:
        fields = {f"exercises.{index}.{name}": [message]
                  for index, row in error.rows.items() for name, message in row.items()}
        return error_response(422, error.message, fields)


@blp.route("/templates/<dbid:template_id>/clone", methods=["POST"])
@blp.response(201, schemas.TemplateOut)
@blp.alt_response(404, schema=schemas.ErrorOut)
def clone_template(template_id):
    """A copy of a program with all its levels, to adapt."""
    return services.clone_template(me(), template_id), 201
