"""The fork server behind ``world.WriterForks``: ``python -m reliability.zygote``.

It reads one command a line on stdin and answers one number a line on stdout:
``spawn <json>`` forks a writer (``world.run_writer(**json)``) and answers its pid;
``wait <pid>`` reaps it and answers its wait status. End of input ends the server.
"""

import json
import os
import sys
import traceback

from clinic.app import create_app
from reliability import world

# An address nothing listens on: building an app connects nowhere; this one only warms up.
WARM_UP = {"ENV_NAME": "testing", "SECRET_KEY": "x" * 32,
           "SQLALCHEMY_DATABASE_URI": "postgresql://warm-up@127.0.0.1:9/none"}


def main():
    # Every module create_app imports (blueprints, services, templates' helpers) is imported
    # here, once, before any fork; the server itself never opens a database connection.
    create_app(WARM_UP)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "spawn":
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    world.run_writer(**json.loads(argument))
                except BaseException:
                    traceback.print_exc()
                    code = 1
                finally:
                    sys.stderr.flush()
                    os._exit(code)
            answer = pid
        elif command == "wait":
            answer = os.waitpid(int(argument), 0)[1]
        else:
            raise SystemExit(f"unknown command {command!r}")
        print(answer, flush=True)


if __name__ == "__main__":
    main()
