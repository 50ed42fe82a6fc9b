"""One process of the read-modify-write stress test (``tests/test_database.py``).

``python -m reliability.counter DATABASE_URL CLINIC_ID THREADS TIMES`` builds the app, prints
``ready``, waits for ``go`` on stdin (so every process starts together), then runs THREADS
threads that each add 1 to a counter TIMES times, each time in its own ``write_transaction``
(read the value, write value + 1). It prints one JSON line: how many increments committed and
the errors met (a "database is locked" would be one).
"""

import json
import sys
import threading


def main(database_url, clinic_id, threads, times):
    from conftest import make_config

    from clinic.app import create_app
    from clinic.auth.models import Clinic
    from clinic.database import write_transaction
    from clinic.extensions import db

    app = create_app(make_config(database_url))
    done, errors = [], []

    @write_transaction
    def increment():
        clinic = db.session.get(Clinic, clinic_id)
        clinic.timezone = str(int(clinic.timezone) + 1)

    def worker():
        for _ in range(times):
            try:
                with app.app_context():
                    increment()
                done.append(1)
            except Exception as error:  # counted and reported to the test
                errors.append(repr(error))

    print("ready", flush=True)
    assert sys.stdin.readline().strip() == "go"
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    print(json.dumps({"done": len(done), "errors": errors}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
