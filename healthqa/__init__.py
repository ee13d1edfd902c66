"""healthqa: a self-hosted consumer-health question-and-answer system.

The package is a library first; the command line (`healthqa.cli`) and the website
(`healthqa.web`) are thin layers over it.
"""

__version__ = "0.1.0"
