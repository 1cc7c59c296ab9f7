"""gdkit: an auto-grading kit for the gradient-descent homework."""

__version__ = "0.1.0"
