"""The topology test: two app processes, two workers, PostgreSQL, Redis and an SMTP sink on
127.0.0.1 (conftest.py says how they are started). A package, so its modules import as
``topology.processes`` and ``topology.smtp_sink``."""
