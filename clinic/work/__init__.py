"""Background work: the queue wake-ups, the kinds of work, the scheduler and ``flask worker``.

Database rows are the truth for every piece of background work; Redis (RQ) only wakes a
worker early. Without Redis ``flask worker`` finds the same rows by polling.
"""
