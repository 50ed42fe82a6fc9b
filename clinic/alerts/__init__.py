"""Alerts raised by outcome measures and by training logs, and the care team's inbox."""
