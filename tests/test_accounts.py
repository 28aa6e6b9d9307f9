"""Instructor accounts: names, passwords and the login rate limit, on a real database."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from quiz import accounts
from quiz.store import Store


def test_accounts_are_made_then_changed_never_the_other_way(store):
    with pytest.raises(accounts.AccountError, match="there is no instructor 'ann'"):
        accounts.set_password(store, "ann", "a long password", new=False)
    accounts.set_password(store, "ann", "a long password", new=True)
    assert store.password_hash("ann").startswith("scrypt:")
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.set_password(store, "ann", "another password", new=True)
    with pytest.raises(accounts.AccountError, match="at least 10 characters"):
        accounts.set_password(store, "ann", "short", new=False)
    with pytest.raises(accounts.AccountError, match="lowercase letters"):
        accounts.set_password(store, "Not Valid", "a long password", new=True)
    assert accounts.account_problem(store, "ann", new=False) is None


def test_log_in_checks_the_password_and_limits_failures(store):
    accounts.set_password(store, "ann", "a long password", new=True)
    assert accounts.log_in(store, "ann", "a long password", "10.0.0.1").outcome == "ok"
    assert accounts.log_in(store, "nobody", "a long password", "10.0.0.1").outcome == "wrong"
    for _ in range(accounts.MAX_FAILURES):
        assert accounts.log_in(store, "ann", "wrong guess!", "10.0.0.2").outcome == "wrong"
    # Five failures lock that name from that address, even with the right password...
    assert accounts.log_in(store, "ann", "a long password", "10.0.0.2").outcome == "limited"
    # ...but not the account from anywhere else, nor other names from that address.
    assert accounts.log_in(store, "ann", "a long password", "10.0.0.1").outcome == "ok"
    assert accounts.log_in(store, "bob", "whatever else", "10.0.0.2").outcome == "wrong"


def test_a_success_clears_only_its_own_address(store):
    accounts.set_password(store, "ann", "a long password", new=True)
    for address in ("10.0.0.1", "10.0.0.2"):
        for _ in range(accounts.MAX_FAILURES - 1):
            assert accounts.log_in(store, "ann", "wrong guess!", address).outcome == "wrong"
    assert accounts.log_in(store, "ann", "a long password", "10.0.0.1").outcome == "ok"
    assert accounts.log_in(store, "ann", "wrong guess!", "10.0.0.1").outcome == "wrong"
    assert accounts.log_in(store, "ann", "wrong guess!", "10.0.0.2").outcome == "wrong"
    assert accounts.log_in(store, "ann", "a long password", "10.0.0.2").outcome == "limited"


def test_one_address_cannot_try_every_name(store):
    names = [f"user{i}" for i in range(accounts.MAX_ADDRESS_FAILURES)]
    outcomes = [accounts.log_in(store, name, "a guess", "10.0.0.9").outcome for name in names]
    assert outcomes == ["wrong"] * accounts.MAX_ADDRESS_FAILURES
    assert accounts.log_in(store, "another", "a guess", "10.0.0.9").outcome == "limited"
    assert accounts.log_in(store, "another", "a guess", "10.0.0.8").outcome == "wrong"


def test_guesses_sent_in_parallel_cannot_slip_past_the_limit(tmp_path):
    """Each guess is recorded before it is checked: of 24 guesses sent at once from one
    address, each thread with its own connection, only MAX_FAILURES reach the password."""
    path = tmp_path / "quiz.db"
    setup = Store(path)
    setup.migrate()
    accounts.set_password(setup, "ann", "a long password", new=True)
    setup.close()
    start = threading.Barrier(24)

    def guess(i: int) -> str:
        store = Store(path)
        try:
            start.wait()
            return accounts.log_in(store, "ann", f"guess number {i}", "10.0.0.7").outcome
        finally:
            store.close()

    with ThreadPoolExecutor(24) as pool:
        outcomes = list(pool.map(guess, range(24)))
    assert outcomes.count("wrong") == accounts.MAX_FAILURES
    assert outcomes.count("limited") == 24 - accounts.MAX_FAILURES


HOUR = 3600.0


@pytest.mark.parametrize(
    ("state", "version", "started", "seen", "reason"),
    [
        ((3, False), 3, 0.0, 10 * HOUR - 60, None),
        (None, 3, 0.0, 10 * HOUR - 60, "removed"),
        ((3, True), 3, 0.0, 10 * HOUR - 60, "logged out"),
        ((4, False), 3, 0.0, 10 * HOUR - 60, "password changed"),
        ((3, False), 3, 0.0, 8 * HOUR - 60, "idle"),
        ((3, False), 3, -3 * HOUR, 10 * HOUR - 60, "expired"),
    ],
)
def test_a_session_ends_by_the_accounts_rules(state, version, started, seen, reason):
    # Now is ten hours after logging in; two hours idle and twelve in all are allowed.
    assert accounts.session_end(state, version, started, seen, 10 * HOUR, 2 * HOUR, 12 * HOUR) == (
        reason
    )
