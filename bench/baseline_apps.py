"""The baselines bench/load.py measures LiftClinic against, served by the same gunicorn settings.

- ``hello``: Flask answering "hello" (the floor of the stack for a page).
- ``bare``: Flask + Flask-SQLAlchemy doing the questionnaire flow's four requests (open a link:
  a session cookie and a 303; the form; a POST that INSERTs one row and 303s; the thank-you
  page) on the same database, with none of LiftClinic's work (scoring, alerts, audit, scope).
"""

import os
import secrets

from flask import Flask, redirect, render_template_string, request, session
from flask_sqlalchemy import SQLAlchemy

FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Form</title></head>
<body><form method="post"><input type="hidden" name="csrf_token" value="{{ token }}">
{% for n in range(16) %}<label>Item {{ n }}<input type="radio" name="q{{ n }}" value="0"></label>
{% endfor %}<button>Send</button></form></body></html>"""

hello = Flask("hello", template_folder=None)  # none of the project's templates


@hello.get("/")
def say_hello():
    return "hello"


@hello.get("/healthz")
def hello_health():
    return "ok"


bare = Flask("bare", template_folder=None)
bare.config.update(SECRET_KEY=os.environ.get("SECRET_KEY", secrets.token_hex(32)),
                   SQLALCHEMY_DATABASE_URI=os.environ.get("BENCH_DATABASE_URL", "sqlite://"))
database = SQLAlchemy(bare)


class Answer(database.Model):
    __tablename__ = "bench_answers"
    id = database.Column(database.Integer, primary_key=True)
    link = database.Column(database.String(100), nullable=False)
    answers = database.Column(database.JSON, nullable=False)


with bare.app_context():
    database.create_all()
    # gunicorn preloads this module in its master and forks: a pooled connection left open
    # here would be shared by every worker (on PostgreSQL, failed flows from a mixed-up wire).
    database.engine.dispose()


@bare.get("/healthz")
def bare_health():
    return "ok"


@bare.get("/q/<token>")
def open_link(token):
    session["link"] = token
    return redirect("/q/", code=303)


@bare.route("/q/", methods=["GET", "POST"])
def form():
    if request.method == "POST":
        database.session.add(Answer(link=session.get("link", ""), answers=dict(request.form)))
        database.session.commit()
        return redirect("/q/done", code=303)
    session.setdefault("csrf", secrets.token_hex(16))
    return render_template_string(FORM, token=session["csrf"])


@bare.get("/q/done")
def done():
    return render_template_string("<!doctype html><p>Thank you.</p>")
