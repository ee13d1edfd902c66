"""Sessions, mailed one-time links (through a real SMTP server), API tokens and expert
profiles. The mailed links must never tell whether an email has an account."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from healthqa.config import Settings, load_settings
from healthqa.people import accounts, limits
from healthqa.people.audit import Actor, read
from healthqa.store.models import EmailToken, SignInSession
from healthqa.web.links import SiteLinks

PASSWORD = "correct horse battery"
BASE = "https://health.example"
LINKS = SiteLinks(BASE)


@pytest.fixture
def mail_settings(engine: Engine, smtp: Any) -> Settings:
    return load_settings(
        database_url=engine.url.render_as_string(hide_password=False),
        smtp_host=smtp.host,
        smtp_port=smtp.port,
    )


def link_in(message: Any, kind: str) -> str:
    found = re.search(rf"{BASE}/{kind}/(\S+)", message.get_content())
    assert found, message.get_content()
    return found.group(1)


def test_sessions_start_end_and_end_everywhere(engine: Engine) -> None:
    me = accounts.add_user(engine, "me@example.org", PASSWORD)
    account, laptop = accounts.sign_in(engine, "ME@example.org", PASSWORD, "192.0.2.1")
    phone = accounts.start_session(engine, me.id)
    assert account == me and accounts.session_account(engine, laptop) == me
    with engine.connect() as conn:  # only hashes are kept
        assert conn.scalar(select(func.count()).where(SignInSession.id == laptop)) == 0
    accounts.end_session(engine, laptop)
    assert accounts.session_account(engine, laptop) is None
    assert accounts.session_account(engine, phone) == me
    assert accounts.end_all_sessions(engine, me.id) == 1
    assert accounts.session_account(engine, phone) is None
    assert accounts.session_account(engine, "") is None


def test_an_expired_session_signs_no_one_in(sqlite_engine: Engine) -> None:
    me = accounts.add_user(sqlite_engine, "me@example.org", PASSWORD)
    token = accounts.start_session(sqlite_engine, me.id)
    with sqlite_engine.begin() as conn:
        conn.execute(update(SignInSession).values(expires_at=datetime.now(UTC) - timedelta(1)))
    assert accounts.session_account(sqlite_engine, token) is None


def test_sign_in_is_throttled_the_same_for_known_and_unknown_emails(sqlite_engine: Engine) -> None:
    accounts.add_user(sqlite_engine, "me@example.org", PASSWORD)
    for email in ("me@example.org", "nobody@example.org"):
        messages = []
        for _ in range(limits.SIGN_IN_FAILURES.count):
            with pytest.raises(accounts.SignInFailed) as failed:
                accounts.sign_in(sqlite_engine, email, "wrong password", "192.0.2.1")
            messages.append(str(failed.value))
        assert set(messages) == {"that email and password do not match an account"}
        with pytest.raises(limits.RateLimited, match="too many failed sign-ins"):
            accounts.sign_in(sqlite_engine, email, PASSWORD, "192.0.2.1")


def test_password_reset_through_a_real_mail_server(
    engine: Engine, mail_settings: Settings, smtp: Any
) -> None:
    me = accounts.add_user(engine, "me@example.org", PASSWORD)
    old_session = accounts.start_session(engine, me.id)
    accounts.request_password_reset(engine, mail_settings, "nobody@example.org", LINKS)
    accounts.request_password_reset(engine, mail_settings, "Me@Example.org", LINKS)
    (message,) = smtp.wait_for(1)
    assert message["To"] == "me@example.org" and message["Subject"] == "Reset your password"
    token = link_in(message, "reset")
    assert accounts.check_link(engine, "reset", token) == "me@example.org"
    with pytest.raises(accounts.AccountError, match="at least 10"):
        accounts.reset_password(engine, token, "short")
    accounts.reset_password(engine, token, "a brand new passphrase")
    assert accounts.authenticate(engine, "me@example.org", "a brand new passphrase") == me
    assert accounts.session_account(engine, old_session) is None  # signed out everywhere
    with pytest.raises(accounts.InvalidLink):  # a link works once
        accounts.reset_password(engine, token, "another new passphrase")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(EmailToken.id == token)) == 0


def test_sign_up_mails_either_a_link_or_a_reminder(
    engine: Engine, mail_settings: Settings, smtp: Any
) -> None:
    accounts.add_user(engine, "taken@example.org", PASSWORD)
    accounts.request_sign_up(engine, mail_settings, "new@example.org", LINKS)
    accounts.request_sign_up(engine, mail_settings, "taken@example.org", LINKS)
    new, taken = sorted(smtp.wait_for(2), key=lambda m: str(m["To"]))
    assert taken["Subject"] == "You already have an account" and "/reset/" in taken.get_content()
    account = accounts.finish_sign_up(engine, link_in(new, "signup"), PASSWORD, "Alex")
    assert (account.email, account.role, account.display_name) == (
        "new@example.org",
        "asker",
        "Alex",
    )
    with pytest.raises(accounts.AccountError, match="not an email"):
        accounts.request_sign_up(engine, mail_settings, "not an email", LINKS)


def test_an_old_link_does_not_work(sqlite_engine: Engine, smtp: Any) -> None:
    settings = load_settings(smtp_host=smtp.host, smtp_port=smtp.port)
    accounts.add_user(sqlite_engine, "me@example.org", PASSWORD)
    accounts.request_password_reset(sqlite_engine, settings, "me@example.org", LINKS)
    token = link_in(smtp.wait_for(1)[0], "reset")
    with sqlite_engine.begin() as conn:
        conn.execute(update(EmailToken).values(expires_at=datetime.now(UTC) - timedelta(1)))
    with pytest.raises(accounts.InvalidLink, match="ask for a new one"):
        accounts.reset_password(sqlite_engine, token, "a brand new passphrase")


def test_api_tokens_carry_the_scopes_the_role_allows(engine: Engine) -> None:
    asker = accounts.add_user(engine, "a@example.org", PASSWORD)
    info, token = accounts.create_api_token(engine, asker, "my script", ["read", "ask"])
    assert token.startswith("hqa_") and info.scopes == ["ask", "read"]
    found = accounts.token_account(engine, token)
    assert found is not None and found[0] == asker and sorted(found[1]) == ["ask", "read"]
    with pytest.raises(accounts.AccountError, match="cannot give the 'moderate' scope"):
        accounts.create_api_token(engine, asker, "x", ["moderate"])
    with pytest.raises(accounts.AccountError, match="unknown scope"):
        accounts.create_api_token(engine, asker, "x", ["everything"])
    assert accounts.revoke_api_token(engine, asker.id, info.id)
    assert accounts.token_account(engine, token) is None
    assert accounts.token_account(engine, "hqa_garbage") is None


def test_an_expert_profile_needs_a_moderator_and_a_change_asks_again(engine: Engine) -> None:
    expert = accounts.add_user(engine, "e@example.org", PASSWORD, "expert")
    moderator = Actor(None, "mod@example.org")
    fields = {
        "name": "Dr Ana Silva", "profession": "Physician", "speciality": "Cardiology",
        "licence": "CRM 123456", "country": "Brazil",
    }  # fmt: skip
    profile = accounts.save_profile(engine, expert.id, **fields)
    assert not profile.verified and not accounts.is_verified(engine, expert)
    assert accounts.verify(engine, moderator, expert.id).verified
    assert accounts.is_verified(engine, expert)
    accounts.save_profile(engine, expert.id, **fields)  # unchanged: still verified
    assert accounts.is_verified(engine, expert)
    accounts.save_profile(engine, expert.id, **{**fields, "licence": "CRM 999999"})
    assert not accounts.is_verified(engine, expert)
    assert [e.action for e in read(engine)] == ["verify"]
    with pytest.raises(accounts.AccountError, match="speciality: choose one"):
        accounts.save_profile(engine, expert.id, **{**fields, "speciality": "Wizardry"})
    # A country longer than its column is refused with a message, on PostgreSQL too.
    with pytest.raises(accounts.AccountError, match="country: at most 100 characters"):
        accounts.save_profile(engine, expert.id, **{**fields, "country": "B" * 150})
    asker = accounts.add_user(engine, "a@example.org", PASSWORD)
    with pytest.raises(accounts.AccountError, match="only an expert"):
        accounts.save_profile(engine, asker.id, **fields)
