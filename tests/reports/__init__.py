"""Tests of the reports area: PDF, CSV, FHIR, batch export."""
