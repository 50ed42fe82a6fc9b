"""API tests (a package, so that its conftest does not shadow the suite's ``conftest``)."""
