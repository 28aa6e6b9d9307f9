"""Rate limits that are fair behind a proxy, and abandoned starts that do not pile up
(issue 15, point 2)."""

from __future__ import annotations

from quiz import accounts, create_app, web
from quiz.store import Store

from .conftest import UNLIMITED_STARTS
from .helpers import csrf_token, log_in

PROXY = "10.0.0.1"  # the reverse proxy every client's request comes through


def _app(tmp_path, bank_file, **config):
    settings = {
        "TESTING": True,
        "DATABASE": str(tmp_path / "quiz.db"),
        "QUESTIONS": str(bank_file),
        "SECRET_KEY": "test-secret",
        **config,
    }
    return create_app(settings)


def _client(app, forwarded_for: str | None = None):
    """A client whose requests reach the app from the proxy, naming ``forwarded_for``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROXY
    if forwarded_for:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def _login(client, password: str) -> int:
    token = csrf_token(client.get("/instructor/login").data)
    form = {"csrf_token": token, "username": "ann", "password": password}
    return client.post("/instructor/login", data=form).status_code


def test_behind_a_trusted_proxy_an_attacker_locks_out_only_themselves(tmp_path, bank_file):
    app = _app(tmp_path, bank_file, PROXIES=1)
    log_in(app, app.test_client(), password="correct horse battery")
    attacker = _client(app, "203.0.113.5")
    statuses = [_login(attacker, "a wrong guess") for _ in range(accounts.MAX_FAILURES + 2)]
    assert statuses == [401] * accounts.MAX_FAILURES + [429, 429]
    token = csrf_token(attacker.get("/instructor/login").data)
    form = {"csrf_token": token, "username": "ann", "password": "a wrong guess"}
    assert attacker.post("/instructor/login", data=form).headers["Retry-After"] == "60"
    assert _login(_client(app, "198.51.100.7"), "correct horse battery") == 303


def test_without_a_proxy_setting_forwarded_addresses_are_not_believed(tmp_path, bank_file):
    """An attacker who makes up a new X-Forwarded-For for each guess is still one address."""
    app = _app(tmp_path, bank_file)
    log_in(app, app.test_client(), password="correct horse battery")
    statuses = [
        _login(_client(app, f"192.0.2.{n}"), "a wrong guess")
        for n in range(accounts.MAX_FAILURES + 1)
    ]
    assert statuses[-1] == 429


def test_a_trusted_proxy_saying_https_makes_the_cookie_secure(tmp_path, bank_file):
    app = _app(tmp_path, bank_file, PROXIES=1)
    client = _client(app, "198.51.100.7")
    client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
    response = client.get("/instructor/login")
    assert "Secure" in response.headers["Set-Cookie"]


def _start(client, token: str) -> object:
    return client.post("/start", data={"csrf_token": token})


def test_one_taker_cannot_start_attempts_without_end(tmp_path, bank_file):
    app = _app(tmp_path, bank_file, START_LIMIT_PER_TAKER=3)
    client = _client(app)
    token = csrf_token(client.get("/").data)
    assert [_start(client, token).status_code for _ in range(3)] == [303] * 3
    refused = _start(client, token)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "600"
    page = refused.data.decode()
    assert "You have started many attempts in the last 10 minutes, so no new one was" in page
    # Another taker behind the same proxy, and the attempts already started, are unaffected.
    neighbour = _client(app)
    assert _start(neighbour, csrf_token(neighbour.get("/").data)).status_code == 303
    store = Store(app.config["DATABASE"])
    try:
        assert store.db["attempts"].count == 4
    finally:
        store.close()


def test_an_address_cannot_start_attempts_without_end_by_dropping_cookies(tmp_path, bank_file):
    """Every start from a fresh client is a new taker: the address limit holds them, in
    every worker (two apps on one database share the counts)."""
    workers = [_app(tmp_path, bank_file, PROXIES=1, START_LIMIT_PER_ADDRESS=4) for _ in range(2)]
    statuses = []
    for n in range(6):
        client = _client(workers[n % 2], "203.0.113.5")
        statuses.append(_start(client, csrf_token(client.get("/").data)).status_code)
    assert statuses == [303] * 4 + [429] * 2
    page = _start(client, csrf_token(client.get("/").data)).data.decode()
    assert "Your network has started many attempts" in page
    elsewhere = _client(workers[0], "198.51.100.7")
    assert _start(elsewhere, csrf_token(elsewhere.get("/").data)).status_code == 303


def test_the_limit_forgets_starts_older_than_its_window(tmp_path, bank_file):
    app = _app(tmp_path, bank_file, START_LIMIT_PER_TAKER=2)
    client = _client(app)
    token = csrf_token(client.get("/").data)
    assert [_start(client, token).status_code for _ in range(3)] == [303, 303, 429]
    store = Store(app.config["DATABASE"])
    try:
        store.db.execute("UPDATE rate_events SET at = at - 601")
    finally:
        store.close()
    assert _start(client, token).status_code == 303


def test_empty_abandoned_attempts_go_long_before_real_ones(tmp_path, bank_file):
    app = _app(tmp_path, bank_file, **UNLIMITED_STARTS)
    client = app.test_client()
    token = csrf_token(client.get("/").data)
    locations = [_start(client, token).headers["Location"] for _ in range(3)]
    empty, answered, recent = (location.split("/")[2] for location in locations)
    page = client.get(f"/a/{answered}/q/1")
    assert page.status_code == 200
    saved = client.post(
        f"/a/{answered}/q/1", data={"csrf_token": token, "nav": "save", "answer": "0"}
    )
    assert saved.status_code in (200, 303)
    store = Store(app.config["DATABASE"])
    try:
        a_day_ago = "2000-01-01T00:00:00+00:00"
        store.db.execute(
            "UPDATE attempts SET updated_at = ?, started_at = ? WHERE token IN (?, ?)",
            [a_day_ago, a_day_ago, empty, answered],
        )
        store.db.execute(
            "INSERT INTO takers (key, created_at, seen_at) VALUES ('gone', ?, ?)",
            [a_day_ago, a_day_ago],
        )
        with app.app_context():
            web.purge(store, app.config)
        left = {row[0] for row in store.db.execute("SELECT token FROM attempts")}
        assert left == {answered, recent}
        takers = {row[0] for row in store.db.execute("SELECT key FROM takers")}
        assert "gone" not in takers and len(takers) == 1
    finally:
        store.close()
