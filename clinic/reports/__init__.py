"""Reports: the PDF progress report, CSV and FHIR exports (assembly, rendering, services)."""
