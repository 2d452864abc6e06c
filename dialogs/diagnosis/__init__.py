"""Reading a manager's message: escalation first, then what the team needs.

Everything here runs in-process with no network and no download.
"""

from dialogs.diagnosis.types import Diagnoser, Diagnosis

__all__ = ["Diagnoser", "Diagnosis"]
