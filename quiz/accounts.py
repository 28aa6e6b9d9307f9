"""Instructor accounts: names, password hashing, and logins with a rate limit.

Accounts are made from the command line only (``quiz create-instructor``);
there is no sign-up page. The login page and the CLI both use this module.
No Flask and no SQL: the store is asked.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.security import check_password_hash, generate_password_hash

if TYPE_CHECKING:
    from .store import Store

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MIN_PASSWORD = 10
MAX_FAILURES = 5  # per username and per address, within WINDOW
WINDOW = 60.0  # seconds
# Checked for unknown usernames, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password", method="scrypt")


class AccountError(ValueError):
    """An account that cannot be made or changed; the message is for people."""


def hash_password(password: str) -> str:
    """A scrypt hash with a random salt (Werkzeug's format)."""
    return generate_password_hash(password, method="scrypt")


def password_problem(password: str) -> str | None:
    """Why a password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"A password needs at least {MIN_PASSWORD} characters."
    return None


def username_problem(username: str) -> str | None:
    """Why a username is refused, or None."""
    if not USERNAME.fullmatch(username):
        return "use lowercase letters, digits, dots, hyphens and underscores (up to 64)"
    return None


def account_problem(store: Store, username: str, *, new: bool) -> str | None:
    """Why an account cannot be made (``new``) or changed: a bad name, an existing
    account when new, a missing one when not; or None."""
    problem = username_problem(username)
    if problem:
        return problem
    exists = store.password_hash(username) is not None
    if not new and not exists:
        return f"there is no instructor '{username}'"
    if new and exists:
        return f"instructor '{username}' already exists; use 'quiz set-password {username}'"
    return None


def set_password(store: Store, username: str, password: str, *, new: bool) -> None:
    """Create the account (``new``) or change the password of an existing one.

    Raises AccountError with :func:`account_problem`'s or :func:`password_problem`'s
    sentence.
    """
    problem = account_problem(store, username, new=new) or password_problem(password)
    if problem:
        raise AccountError(problem)
    store.set_instructor(username, hash_password(password))


@dataclass(frozen=True)
class Login:
    """The outcome of a login: 'ok', 'wrong' (name and password do not match) or
    'limited' (too many failures within WINDOW seconds)."""

    outcome: str


def log_in(store: Store, username: str, password: str, address: str) -> Login:
    """Check a login against the account and the rate limit (per username and per
    address, MAX_FAILURES within WINDOW seconds), recording a failure."""
    now = time.time()
    by_name, by_address = store.login_failures_since(username, address, now - WINDOW)
    if by_name >= MAX_FAILURES or by_address >= MAX_FAILURES:
        return Login("limited")
    stored = store.password_hash(username)
    if not check_password_hash(stored or _DUMMY_HASH, password) or stored is None:
        store.record_login_failure(username, address, now)
        return Login("wrong")
    store.clear_login_failures(username)
    return Login("ok")
