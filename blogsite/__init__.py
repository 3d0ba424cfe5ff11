"""blogsite: a static blog generator that announces each new post exactly once."""

__version__ = "0.1.0"
