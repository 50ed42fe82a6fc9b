"""The instrument registry: every questionnaire LiftClinic can send, by code.

Codes are the stable identifiers stored with each response (with the version), so they never
change; ``INSTRUMENT_CODES`` is the order pages and reports list them in.
"""

from clinic.measures.instruments.base import Instrument
from clinic.measures.instruments.gad7 import GAD7
from clinic.measures.instruments.pcl5 import PCL5
from clinic.measures.instruments.phq9 import PHQ9
from clinic.measures.instruments.rses import RSES
from clinic.measures.instruments.who5 import WHO5

INSTRUMENTS: dict[str, Instrument] = {
    instrument.code: instrument for instrument in (PHQ9, GAD7, RSES, WHO5, PCL5)
}

INSTRUMENT_CODES: tuple[str, ...] = tuple(INSTRUMENTS)


def get_instrument(code: str) -> Instrument:
    """The instrument with this exact code; a KeyError names the known codes."""
    try:
        return INSTRUMENTS[code]
    except KeyError:
        known = ", ".join(INSTRUMENT_CODES)
        raise KeyError(f"Unknown instrument code {code!r}; known codes: {known}") from None


def project_decisions() -> tuple[tuple[str, str], ...]:
    """Every (instrument code, decision) the project made where no published rule exists."""
    return tuple(
        (instrument.code, decision)
        for instrument in INSTRUMENTS.values()
        for decision in instrument.decisions
    )


__all__ = ["INSTRUMENTS", "INSTRUMENT_CODES", "Instrument", "get_instrument", "project_decisions"]
