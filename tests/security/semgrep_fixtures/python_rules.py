# Fixtures for .semgrep/liftclinic.yml: never imported or run, only scanned by
# tests/security/test_static_checks.py. A "ruleid" comment marks the next line as a finding of
# the rule it names; an "ok" comment marks the next line as one that rule must not report.
# ruff: noqa
# ruleid: random-for-secrets
import random
import secrets
# ruleid: random-for-secrets
from random import choice

import jinja2
import sqlalchemy as sa
import weasyprint
from flask import render_template_string, request
from markupsafe import Markup


def weasyprint_calls(html, css, fetcher):
    # ruleid: weasyprint-without-url-fetcher
    weasyprint.HTML(string=html)
    # ruleid: weasyprint-without-url-fetcher
    weasyprint.CSS(string=css)
    # ok: weasyprint-without-url-fetcher
    weasyprint.HTML(string=html, base_url="x:/", url_fetcher=fetcher)
    # ok: weasyprint-without-url-fetcher
    weasyprint.CSS(string=css, url_fetcher=fetcher)


def markup_calls(patient, name, qr):
    # ruleid: markup-on-user-data
    Markup(f"<b>{patient.display_name}</b>")
    # ruleid: markup-on-user-data
    Markup("<b>{}</b>".format(name))
    # ruleid: markup-on-user-data
    Markup("<b>%s</b>" % name)
    # ruleid: markup-on-user-data
    Markup("<b>" + name)
    # ruleid: markup-on-user-data
    Markup(request.args["q"])
    # ruleid: markup-on-user-data
    Markup(patient.notes)
    # ok: markup-on-user-data
    Markup("<br>")
    # ok: markup-on-user-data
    Markup(qr.svg_inline(scale=4))


def template_strings(text):
    # ruleid: render-template-string
    render_template_string(text)
    # ruleid: render-template-string
    jinja2.Template(text)
    # ruleid: render-template-string
    jinja2.Environment().from_string(text)


def sql(connection, session, name, limit):
    # ruleid: string-built-sql
    session.execute(sa.text(f"SELECT * FROM patient WHERE reference = '{name}'"))
    # ruleid: string-built-sql
    connection.execute(f"SELECT * FROM patient WHERE reference = '{name}'")
    # ruleid: string-built-sql
    connection.exec_driver_sql(f"DELETE FROM x WHERE y = {name}")
    # ruleid: string-built-sql
    connection.execute("SELECT * FROM patient WHERE id = %s" % name)
    # ruleid: string-built-sql
    sa.text("SELECT * FROM patient WHERE reference = '{}'".format(name))
    # ruleid: string-built-sql
    connection.execute(f"PRAGMA a={int(limit)} AND b={name}")
    # ok: string-built-sql
    connection.execute(f"PRAGMA busy_timeout={int(limit)}")
    # ok: string-built-sql
    session.execute(sa.text("SELECT * FROM patient WHERE reference = :r"), {"r": name})


def tokens():
    # ruleid: random-for-secrets
    code = random.randint(100000, 999999)
    # ruleid: random-for-secrets
    letter = choice("abc")
    # ok: random-for-secrets
    token = secrets.token_urlsafe(32)
    return code, letter, token
