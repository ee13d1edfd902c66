"""Who to call: per-country emergency numbers and crisis lines, and the advice text."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from healthqa.triage.result import Action, Advice, Level, RedFlag
from healthqa.triage.rules import TriageRulesError, read_toml

CONTACTS_PATH = Path(__file__).with_name("contacts.toml")
COUNTRY_ENV = "HEALTHQA_COUNTRY"


@dataclass(frozen=True)
class Contacts:
    """One country's entry of `triage_contacts.toml`."""

    code: str
    name: str
    emergency_number: str
    emergency: str
    urgent: str
    crisis: str
    crisis_line: str


@dataclass(frozen=True)
class ContactBook:
    """All countries' contacts, the default country and aliases such as UK -> GB."""

    countries: Mapping[str, Contacts]
    default: str
    aliases: Mapping[str, str]

    def lookup(self, country: str | None = None) -> Contacts:
        """The contacts for `country`, else $HEALTHQA_COUNTRY, else the default."""
        code = (country or os.environ.get(COUNTRY_ENV) or self.default).strip().upper()
        code = self.aliases.get(code, code)
        return self.countries.get(code) or self.countries[self.default]


_CONTACT_FIELDS = ("name", "emergency_number", "emergency", "urgent", "crisis", "crisis_line")


def load_contacts(path: str | Path | None = None) -> ContactBook:
    """Load and check a contacts file (default: the packaged `triage_contacts.toml`)."""
    source = Path(path) if path is not None else CONTACTS_PATH
    data = read_toml(source)
    countries: dict[str, Contacts] = {}
    for code, entry in data.get("country", {}).items():
        missing = [f for f in _CONTACT_FIELDS if not isinstance(entry.get(f), str) or not entry[f]]
        if missing:
            raise TriageRulesError(f"{source}: [country.{code}]: missing {', '.join(missing)}")
        countries[code.upper()] = Contacts(code.upper(), *(entry[f] for f in _CONTACT_FIELDS))
    default = str(data.get("default", "")).upper()
    if default not in countries:
        raise TriageRulesError(f"{source}: default country {default!r} has no [country] entry")
    aliases = {str(k).upper(): str(v).upper() for k, v in data.get("aliases", {}).items()}
    return ContactBook(countries, default, aliases)


@cache
def default_contacts() -> ContactBook:
    """The packaged contacts, loaded once per process."""
    return load_contacts()


def advise(level: Level, flags: Iterable[RedFlag], country: str | None = None) -> Advice | None:
    """The advice for a level and its flags, with the numbers for `country`."""
    if level is Level.ROUTINE:
        return None
    flags = tuple(flags)
    contacts = default_contacts().lookup(country)
    action, headline, more = _advice_text(level, flags, contacts)
    crisis_line = contacts.crisis_line if any(f.crisis for f in flags) else None
    return Advice(
        level, action, contacts.code, headline, more, contacts.emergency_number, crisis_line
    )


def _advice_text(
    level: Level, flags: tuple[RedFlag, ...], contacts: Contacts
) -> tuple[Action, str, tuple[str, ...]]:
    """Medical emergencies lead with the emergency number; suicidal thoughts with a crisis line."""
    crisis = any(flag.crisis for flag in flags)
    medical = any(flag.level is Level.EMERGENCY and not flag.crisis for flag in flags)
    if medical or (level is Level.EMERGENCY and not crisis):
        return "call_emergency", contacts.emergency, (contacts.crisis,) if crisis else ()
    if crisis:
        return "crisis_line", contacts.crisis, (contacts.urgent,) if level is Level.URGENT else ()
    return "see_doctor_today", contacts.urgent, ()


def unchecked(country: str | None = None) -> Advice:
    """For a message triage could not read: the emergency number and a plain line saying so."""
    contacts = default_contacts().lookup(country)
    headline = (
        "healthqa could not check this message for urgent signs: it reads English, Spanish "
        "and Chinese only. "
        f"If this could be an emergency, call {contacts.emergency_number} now."
    )
    return Advice(
        Level.ROUTINE,
        "not_checked",
        contacts.code,
        headline,
        (contacts.urgent,),
        contacts.emergency_number,
        contacts.crisis_line,
    )
