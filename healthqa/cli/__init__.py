"""The `healthqa` command line: parse options, call the library, print.

One module per noun registers its commands on the groups of `_shared`: the knowledge base
(`kb`), the answer engine (`ask`), the Related lists (`related`), triage (`triage`), asking in
other languages (`languages`) and people (`people`).
"""

from importlib import import_module

from healthqa.cli._shared import app

__all__ = ["app", "main"]

# in the order `healthqa --help` lists them
for _noun in ("kb", "ask", "related", "triage", "languages", "people"):
    import_module(f"healthqa.cli.{_noun}")


def main() -> None:
    app()
