"""The application factory: it reads as a table of contents of the app."""

import logging

from flask import Flask

from clinic import config as config_module


def create_app(config=None):
    """Build the LiftClinic app; ``config`` (a mapping) overrides defaults and the environment."""
    app = Flask(__name__, template_folder="../templates", static_folder="static",
                instance_relative_config=False)
    app.config.from_mapping(config_module.build(config))
    register_extensions(app)
    register_input_checks(app)
    register_delivery(app)
    register_template_helpers(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_request_hooks(app)
    register_commands(app)
    register_shell_context(app)
    configure_logging(app)
    configure_proxy(app)
    return app


def register_extensions(app):
    import clinic.models  # noqa: F401  (every area's tables, before relationships resolve)
    from clinic.auth.guards import load_user
    from clinic.extensions import csrf, db, limiter, login_manager, mail, migrate

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        config_module.INSTANCE_DIR.mkdir(exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.MIGRATIONS_DIR))
    csrf.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)


def register_input_checks(app):
    from clinic import inputs

    # Ids (<dbid:...>), page numbers, control characters, nested JSON: a 4xx, never a 500.
    inputs.init_app(app)


def register_delivery(app):
    from clinic import delivery

    # Compression (never of a token-bearing page that echoes a query), static files cached by
    # content hash, the favicon.
    delivery.init_app(app)


def register_template_helpers(app):
    from clinic import limits
    from clinic.catalogue.starters import level_title
    from clinic.timefmt import clinic_day, clinic_time, clinic_zone_name

    app.jinja_env.add_extension("jinja2.ext.do")
    app.add_template_filter(clinic_time)
    app.add_template_filter(clinic_day)
    app.add_template_filter(level_title, "level_name")
    app.add_template_global(clinic_zone_name)
    # Hand-written inputs take their maxlength/min/max from the limits the services enforce.
    app.add_template_global(limits.TEXT_MAX, "text_max")
    app.add_template_global(limits.NUMBER_RANGE, "number_range")


def register_blueprints(app):
    from clinic.alerts.views import bp as alerts_bp
    from clinic.audit.views import bp as audit_bp
    from clinic.auth.admin_views import bp as users_bp
    from clinic.auth.mfa_views import bp as mfa_bp
    from clinic.auth.views import bp as auth_bp
    from clinic.caseload.views import bp as caseload_bp
    from clinic.catalogue.views import bp as catalogue_bp
    from clinic.health import bp as health_bp
    from clinic.help.views import bp as help_bp
    from clinic.measures.views import bp as measures_bp
    from clinic.outbox.views import bp as outbox_bp
    from clinic.patients.views import bp as patients_bp
    from clinic.portal.views import bp as portal_bp
    from clinic.programs.views import bp as programs_bp
    from clinic.reports.views import bp as reports_bp

    for blueprint in (health_bp, auth_bp, mfa_bp, users_bp, patients_bp, caseload_bp, measures_bp,
                      catalogue_bp, programs_bp, alerts_bp, portal_bp, audit_bp, outbox_bp,
                      reports_bp, help_bp):
        app.register_blueprint(blueprint)

    from clinic import api

    api.init_app(app)  # the JSON API v1 and its docs pages (bearer tokens: clinic.api.auth)


def register_error_handlers(app):
    from clinic.errors import register_error_handlers as register

    register(app)


def register_request_hooks(app):
    from clinic import security
    from clinic.auth.guards import require_login_by_default

    # Request id, security headers and the 429 answer: clinic/security.
    security.init_app(app)
    app.before_request(require_login_by_default)


def register_commands(app):
    from clinic.audit.cli import audit_cli
    from clinic.auth.cli import create_user_command
    from clinic.backup import backup_command
    from clinic.demo import seed_demo_command
    from clinic.measures.cli import measures_cli
    from clinic.outbox.cli import outbox_cli
    from clinic.programs.cli import programs_cli
    from clinic.reports.cli import reports_cli
    from clinic.security.deploycheck import check_deploy_command
    from clinic.work.cli import worker_command

    app.cli.add_command(create_user_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(check_deploy_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(measures_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(programs_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(worker_command)


def register_shell_context(app):
    def shell_context():
        from clinic import models
        from clinic.extensions import db

        return {"db": db, **{name: getattr(models, name) for name in models.__all__}}

    app.shell_context_processor(shell_context)


def configure_proxy(app):
    """Trust exactly the configured number of proxies for the client address and scheme."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def configure_logging(app):
    from clinic import logmask

    logmask.install()
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # WeasyPrint narrates every layout step at INFO (seven lines per PDF); its warnings (a
    # refused URL, a missing font) still show.
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
