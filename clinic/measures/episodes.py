"""The clinical timeline: which episode of care a response belongs to, and in what order its
responses stand (shared/INSTRUMENTS.md, "Episodes of care and the clinical timeline").

Pure functions over plain values: an episode is anything with ``start`` and ``end`` dates
(``end`` None while open), a response anything with ``completed_at`` (aware), ``total``,
``id`` and ``instrument_code``. The day a row was *entered* is never read here: that is what
makes baseline and latest independent of the order in which forms were typed in.
"""

from clinic.measures.instruments import INSTRUMENT_CODES


def clinical_date(response, zone):
    """The day the response was completed, on the clinic's calendar."""
    return response.completed_at.astimezone(zone).date()


def clinical_order(response):
    """Sort key of the clinical timeline, earliest first.

    Decision (entry-order independence): responses are ordered by the moment they were
    completed; two completed at the same moment (two paper forms of one day, both stored at
    noon) by their total, lower first, and only then by id. The id decides only between two
    responses with the same moment and the same total, which give the same baseline, latest
    and change whichever is picked.
    """
    return (response.completed_at, response.total, response.id)


def contains(episode, day):
    """Whether the calendar ``day`` lies in ``episode`` (both ends included)."""
    return episode.start <= day and (episode.end is None or day <= episode.end)


def episode_of_day(episodes, day):
    """The episode whose dates contain ``day``, or None (before the first, between two, or
    after a discharge). Episodes never overlap; should two ever do, the later start wins."""
    for episode in sorted(episodes, key=lambda e: e.start, reverse=True):
        if episode.start <= day:
            return episode if contains(episode, day) else None
    return None


def before_episode(response, episode, zone):
    """A response dated before ``episode`` began: shown as "before this episode"."""
    return episode is not None and clinical_date(response, zone) < episode.start


def histories(responses, episode, zone):
    """{instrument code: the responses of ``episode``, earliest-dated first}, in the standard
    order of instruments; ``responses`` should be current ones (not superseded)."""
    if episode is None:
        return {}
    by_code = {}
    for response in responses:
        if contains(episode, clinical_date(response, zone)):
            by_code.setdefault(response.instrument_code, []).append(response)
    return {code: sorted(by_code[code], key=clinical_order)
            for code in INSTRUMENT_CODES if code in by_code}


def is_latest(response, history):
    """Whether ``response`` is the latest-dated of its episode history (deterioration is
    judged only then: a form for an earlier week changes the history, not today's status)."""
    return bool(history) and history[-1].id == response.id
