"""Form validators shared by several areas."""

from email_validator import EmailNotValidError, validate_email
from wtforms.validators import ValidationError


def strip(value):
    """A WTForms filter: surrounding spaces never count as an answer."""
    return value.strip() if isinstance(value, str) else value


def is_valid_email(text):
    """The same rule as ``ClinicEmail``, for services called from the command line."""
    try:
        validate_email((text or "").strip(), check_deliverability=False,
                       globally_deliverable=False, test_environment=True)
    except EmailNotValidError:
        return False
    return True


class ClinicEmail:
    """A syntactically valid address, with no DNS look-up (clinics run on closed networks).

    Internal and reserved domains (``.local``, ``.internal``, ``.test``) are accepted: they are
    normal on a clinic's own network, and the demo accounts use ``demo.test``.
    """

    def __init__(self, message="Enter an email address like name@example.org."):
        self.message = message

    def __call__(self, form, field):
        if field.data and not is_valid_email(field.data):
            raise ValidationError(self.message)
