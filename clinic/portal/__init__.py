"""The patient-facing pages behind a link: no account, no name, nothing cached."""
