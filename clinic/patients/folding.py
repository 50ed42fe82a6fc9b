"""How names and references are compared: pure text functions, no database.

A clinician types "zoe" for "Zoë" or "ref-7 " for "REF-7"; the database compares stored keys
made by these functions (the same Python code on SQLite and PostgreSQL, whose own lower() and
collations differ beyond ASCII).
"""

import unicodedata


def reference_key(reference):
    """The form a reference is unique in, within a clinic: no surrounding spaces, no case."""
    return (reference or "").strip().casefold()


def search_key(text):
    """The form a name is searched in: no case and no accents ("Zoë" and "ZOE" -> "zoe")."""
    decomposed = unicodedata.normalize("NFKD", (text or "").strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
