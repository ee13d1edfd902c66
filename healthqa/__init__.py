"""healthqa: a self-hosted consumer-health question-and-answer system.

The package is a library first; the command line (`healthqa.cli`) and the website
(`healthqa.web`) are thin layers over it. The two calls most programs need:

    import healthqa
    healthqa.ask("lower back pain since my IUD was put in, what should I do?")
    healthqa.triage("chest hurts and my left arm is numb")
"""

from healthqa.kb import ask
from healthqa.triage import triage

__version__ = "0.1.0"
__all__ = ["ask", "triage"]
