"""Demo reminders: run the morning sweep once so reps open a day with work in it."""

from .sweep import followup_sweep


def seed(stdout):
    created = followup_sweep()
    stdout.write(f"Demo reminders: {sum(created.values())} created by the follow-up sweep.")
