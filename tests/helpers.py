"""Helpers for driving the app in tests."""

from __future__ import annotations

import re
from pathlib import Path

from quiz import web
from quiz.analysis import item_analysis
from quiz.bank import question_from_body
from quiz.store import Store

SMALL_BANK = Path(__file__).parent / "data" / "small-bank.yaml"


def csrf_token(html: str | bytes) -> str:
    if isinstance(html, bytes):
        html = html.decode()
    found = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    return found.group(1)


class Taker:
    """A taker driving the app through the test client, as a browser without JavaScript would."""

    def __init__(self, client):
        self.client = client
        self.token = ""
        self.csrf = csrf_token(client.get("/").data)

    def start(self, mode: str | None = None) -> str:
        data = {"csrf_token": self.csrf} | ({"mode": mode} if mode else {})
        response = self.client.post("/start", data=data)
        assert response.status_code == 303, response.data
        self.token = response.headers["Location"].split("/")[2]
        return self.token

    @property
    def base(self) -> str:
        return f"/a/{self.token}"

    def page(self, n: int) -> str:
        response = self.client.get(f"{self.base}/q/{n}")
        assert response.status_code == 200, response.data
        return response.data.decode()

    def post(self, n: int, answer=None, nav: str = "next", **extra):
        data = {"csrf_token": self.csrf, "nav": nav, **extra}
        if answer is not None:
            data["answer"] = answer
        return self.client.post(f"{self.base}/q/{n}", data=data)

    def total(self) -> int:
        return int(re.search(r"Question 1 of (\d+)", self.page(1)).group(1))

    def finish(self):
        return self.client.post(f"{self.base}/finish", data={"csrf_token": self.csrf})

    def complete(self, app, mode: str | None = None) -> str:
        """Start an attempt, answer everything right, finish; the result page."""
        self.start(mode)
        answer_all(app, self)
        self.finish()
        return self.result()

    def result(self) -> str:
        return self.client.get(f"{self.base}/result").data.decode()


def items(app, token):
    store = Store(app.config["DATABASE"])
    try:
        return store.items(store.attempt(token)["id"])
    finally:
        store.close()


def right_values(item) -> list[str]:
    """The form values that answer an item fully right (the best option, for judgement items)."""
    q = question_from_body(item["body"])
    order = item["option_order"]
    if q.type == "single":
        best = max(range(len(q.options)), key=q.option_score)
        return [str(order.index(best))]
    if q.type == "multiple":
        return [str(order.index(i)) for i in sorted(q.correct_indexes)]
    if q.type == "numeric":
        return [f"{q.answer:g}"]
    return ["5" if not q.reverse else "1"]


def wrong_values(item) -> list[str]:
    q = question_from_body(item["body"])
    order = item["option_order"]
    if q.type == "single":
        worst = min(range(len(q.options)), key=q.option_score)
        return [str(order.index(worst))]
    if q.type == "multiple":
        return [str(order.index(i)) for i in range(len(q.options)) if i not in q.correct_indexes]
    if q.type == "numeric":
        return [f"{q.answer * 3 + 7:g}"]
    return ["1" if not q.reverse else "5"]


def answer_all(app, taker, values=right_values):
    for item in items(app, taker.token):
        response = taker.post(item["position"], values(item))
        assert response.status_code == 303


def count_responses(app) -> int:
    store = Store(app.config["DATABASE"])
    try:
        return store.count_answers()
    finally:
        store.close()


def log_in(app, client, username: str = "ann", password: str = "correct horse battery"):
    """Make an instructor account (unless it has this password already: setting it
    again would end its sessions) and log the client in as them."""
    from werkzeug.security import check_password_hash

    from quiz.accounts import hash_password

    store = Store(app.config["DATABASE"])
    try:
        stored = store.password_hash(username)
        if stored is None or not check_password_hash(stored, password):
            store.set_instructor(username, hash_password(password))
    finally:
        store.close()
    token = csrf_token(client.get("/instructor/login").data)
    response = client.post(
        "/instructor/login", data={"csrf_token": token, "username": username, "password": password}
    )
    assert response.status_code == 303, response.data
    return client


def form_fields(html: str | bytes, marker: str) -> dict[str, str]:
    """The hidden fields (csrf_token, base, …) of the form that follows ``marker``
    (an id, or any text of the form's opening tag such as its action)."""
    if isinstance(html, bytes):
        html = html.decode()
    start = html.find(f'id="{marker}"')
    html = html[start if start >= 0 else html.index(marker) :]
    html = html[: html.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def analysis():
    """The statistics page's item analysis, from the request's store and bank
    (call it inside ``app.test_request_context()``)."""
    return item_analysis(web.store(), web.current_bank())


TIME = re.compile(r"<time\b([^>]*)>(.*?)</time>", re.S)


def times(html: str) -> list[tuple[str, str]]:
    """(datetime attribute, text) of every <time> element, after checking each names UTC."""
    found = []
    for attributes, text in TIME.findall(html):
        stamp = re.search(r'datetime="([^"]+)"', attributes)
        assert stamp, attributes
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp.group(1)), stamp.group(1)
        assert "data-local" in attributes
        text = text.replace("&nbsp;", " ")
        assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC", text), text
        found.append((stamp.group(1), text))
    # No bare stored stamps or dates outside <time> (and so without their zone).
    assert not re.search(r"\d{4}-\d\d-\d\d", TIME.sub("", html.split("<main", 1)[1]))
    return found
