"""gdkit's public checks, student side: what ``grader.check("<question>")`` runs in the notebook.

Pure Python and numpy (no process, user or namespace calls: it runs on Windows, macOS and Linux). It holds
the public cases' inputs and the expected values ``gdkit build`` computed (``cases.json``), never the reference
implementation; the comparison is the grader's own (``compare.py``, copied in by the build).
"""

from .public import check

__all__ = ["check"]
