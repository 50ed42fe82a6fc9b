"""``flask create-user``: set up a clinic's first accounts from the command line."""

import click
from flask.cli import with_appcontext

from clinic.auth.models import Role
from clinic.errors import ServiceError


@click.command("create-user")
@click.option("--email", required=True, help="The login email address.")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--clinic", "clinic_name", required=True,
              help="The clinic's name; it is created when it does not exist yet.")
@click.password_option(envvar="LIFTCLINIC_PASSWORD",
                       help="Prompted for when not given (or set LIFTCLINIC_PASSWORD).")
@with_appcontext
def create_user_command(email, name, role, clinic_name, password):
    """Create a clinician account (and its clinic if new)."""
    from clinic.auth.services import create_user_from_cli

    try:
        user = create_user_from_cli(clinic_name=clinic_name, email=email, name=name, role=role,
                                    password=password)
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created {user.role} {user.email} in clinic {clinic_name!r}.")
