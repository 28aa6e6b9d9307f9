"""Instructor accounts: names, passwords and the login rate limit, on a real database."""

from __future__ import annotations

import pytest

from quiz import accounts


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
    # Five failures in the window lock the name (even with the right password) and the address.
    assert accounts.log_in(store, "ann", "a long password", "10.0.0.1").outcome == "limited"
    assert accounts.log_in(store, "bob", "whatever else", "10.0.0.2").outcome == "limited"
    assert accounts.log_in(store, "bob", "whatever else", "10.0.0.3").outcome == "wrong"
