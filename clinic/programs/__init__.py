"""A patient's graded strength program: assignments (a snapshot of a catalogue template),
targets, the program link, sessions, adherence, progress review and the missed-session check.

The exercises and templates themselves are the clinic's catalogue (``clinic.catalogue``), one
floor below.
"""
