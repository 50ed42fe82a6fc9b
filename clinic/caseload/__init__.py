"""The dashboard and the patient overview: the only views that gather from every area."""
