"""The clinic's catalogue stands below a patient's program: it never imports ``clinic.programs``.

Read from the source (no import, no app): a lower floor that reached up would bring back the
cycle the split removed.
"""

import ast
from pathlib import Path

import clinic.catalogue

CATALOGUE = Path(clinic.catalogue.__file__).parent


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_the_catalogue_never_imports_programs():
    upward = sorted(f"{path.name}: {name}" for path in CATALOGUE.glob("*.py")
                    for name in imported_modules(path)
                    if name == "clinic.programs" or name.startswith("clinic.programs."))
    assert upward == []


def test_the_check_sees_the_catalogue_modules():
    names = {path.name for path in CATALOGUE.glob("*.py")}
    assert {"models.py", "services.py", "views.py", "library.py", "starters.py"} <= names
