"""Pure rules of the patient link pages: which part comes next, which calm page a link gets.

No Flask, no database: the views and services ask these, the unit tests check them.
"""

# The calm page each link state gets. A replaced, revoked and unknown link share one page (same
# words, same status): whoever holds a token learns nothing from it that a guess would not.
CALM_PAGES = {
    "unknown": ("inactive", 410),
    "replaced": ("inactive", 410),
    "revoked": ("inactive", 410),
    "expired": ("expired", 410),
    "completed": ("completed", 200),
    "finished": ("finished", 410),  # a completed program
}


def calm_page(state):
    """(page, HTTP status) for a link in ``state``; anything not listed is "unknown"."""
    return CALM_PAGES.get(state, CALM_PAGES["unknown"])


def finished_codes(codes, draft):
    """The instruments of ``codes`` whose answers the draft already holds, in order."""
    draft = draft or {}
    return [code for code in codes if isinstance(draft.get(code), list)]


def next_part(codes, draft):
    """Index (0-based) of the first instrument of ``codes`` not finished in ``draft``."""
    done = set(finished_codes(codes, draft))
    for index, code in enumerate(codes):
        if code not in done:
            return index
    return len(codes) - 1  # every part kept: the last one is answered again and sends


def with_part(draft, code, answers, extras):
    """A new draft holding ``answers`` (and optional ``extras``) for ``code``."""
    merged = {key: value for key, value in (draft or {}).items() if key != "extras"}
    merged_extras = dict((draft or {}).get("extras") or {})
    merged[code] = list(answers)
    merged_extras.pop(code, None)
    if extras:
        merged_extras[code] = dict(extras)
    merged["extras"] = merged_extras
    return merged


def answers_and_extras(codes, draft):
    """The draft as the two dicts the submission takes: answers by code, extras by code."""
    draft = draft or {}
    answers = {code: draft[code] for code in codes if isinstance(draft.get(code), list)}
    extras = {code: value for code, value in (draft.get("extras") or {}).items() if code in codes}
    return answers, extras
