"""Helpers for driving the app in tests."""

from __future__ import annotations

import re
from pathlib import Path

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

    def start(self) -> str:
        response = self.client.post("/start", data={"csrf_token": self.csrf})
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
