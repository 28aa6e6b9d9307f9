"""Instructor accounts: names, password hashing, logins with a rate limit, and when a
session ends.

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
MAX_FAILURES = 5  # per username and address, within WINDOW
MAX_ADDRESS_FAILURES = 20  # per address, whatever the usernames, within WINDOW
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


def remove(store: Store, username: str) -> int:
    """Delete an account and its cohorts (``Store.remove_instructor``); its sessions end
    with it. Returns how many cohorts went. Raises AccountError without one."""
    cohorts = store.remove_instructor(username)
    if cohorts is None:
        raise AccountError(f"there is no instructor '{username}'")
    return cohorts


def set_admin(store: Store, username: str, admin: bool) -> None:
    """Make an instructor an administrator, who sees every instructor's cohorts, or an
    instructor again. Raises AccountError without such an account."""
    if not store.set_admin(username, admin):
        raise AccountError(f"there is no instructor '{username}'")


@dataclass(frozen=True)
class Login:
    """The outcome of a login: 'ok', 'wrong' (name and password do not match) or
    'limited' (too many logins from this address, for this name or in all)."""

    outcome: str


def log_in(store: Store, username: str, password: str, address: str) -> Login:
    """Check a login against the rate limit, then the account.

    The login is recorded before anything is checked, so that guesses sent in parallel
    all count. Limits, within WINDOW seconds: MAX_FAILURES for one username from one
    address, so that an attacker locks out only themselves; MAX_ADDRESS_FAILURES from
    one address for any usernames, so that one address cannot try every name.
    ``address`` is the client's (behind proxies, as ``PROXIES`` trusts them).
    """
    now = time.time()
    pair, by_address = store.count_login(username, address, now, now - WINDOW)
    if pair > MAX_FAILURES or by_address > MAX_ADDRESS_FAILURES:
        return Login("limited")
    stored = store.password_hash(username)
    if not check_password_hash(stored or _DUMMY_HASH, password) or stored is None:
        return Login("wrong")
    store.clear_logins(username, address)
    return Login("ok")


def session_end(
    state: tuple[int, bool] | None,
    version: int,
    started: float,
    seen: float,
    now: float,
    idle: float,
    lifetime: float,
) -> str | None:
    """Why an instructor session has ended, or None while it lasts.

    ``state`` is the store's (session version, ended by logout) for the session's
    account, None without the account; ``version`` the one the session was made under;
    ``started`` and ``seen`` when it logged in and was last used, ``now`` (epoch seconds);
    ``idle`` and ``lifetime`` the longest pause and the longest session, in seconds.
    Returns 'removed', 'logged out', 'password changed', 'idle' or 'expired'.
    """
    if state is None:
        return "removed"
    if state[1]:
        return "logged out"
    if state[0] != version:
        return "password changed"
    if now - seen > idle:
        return "idle"
    if now - started > lifetime:
        return "expired"
    return None
