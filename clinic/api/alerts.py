"""``/api/v1/alerts``: the open alerts of the caller's patients, and acknowledging one."""

from clinic.alerts import services
from clinic.alerts.models import Alert
from clinic.api import schemas
from clinic.api.auth import ApiBlueprint, me
from clinic.api.common import paginate, service_errors
from clinic.audit.services import record_api_read
from clinic.patients.scope import visible_patient

blp = ApiBlueprint("api_alerts", __name__, url_prefix="/api/v1/alerts",
                   description="Alerts of the patients in the caller's scope")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.AlertArgs, location="query")
@blp.response(200, schemas.page_of(schemas.AlertOut, "AlertPage"))
@blp.alt_response(404, schema=schemas.ErrorOut, description="patient_id outside your scope")
def list_alerts(args):
    """Open alerts, newest first; filter by ``patient_id`` (404 outside scope) or ``kind``."""
    if args["patient_id"] is not None:
        visible_patient(me(), args["patient_id"])
    query = services.alerts_query(me(), open_only=True, patient_id=args["patient_id"])
    if args["kind"]:
        query = query.where(Alert.kind == args["kind"])
    page = paginate(query, args)
    record_api_read(me(), "alerts.list", patient_id=args["patient_id"])
    return page


@blp.route("/<dbid:alert_id>/acknowledge", methods=["POST"])
@blp.arguments(schemas.AcknowledgeIn)
@blp.response(200, schemas.AlertOut)
@blp.alt_response(403, schema=schemas.ErrorOut,
                  description="A clinical trainer and a symptom or risk alert")
@blp.alt_response(404, schema=schemas.ErrorOut)
@blp.alt_response(409, schema=schemas.ErrorOut, description="Already acknowledged")
@blp.alt_response(422, schema=schemas.ErrorOut)
@service_errors
def acknowledge_alert(data, alert_id):
    """Say what was done: the alert leaves the inbox and stays in the history."""
    return services.acknowledge_alert(me(), alert_id, data["note"])
