"""Hostile input: random methods, paths, query strings, forms and headers on every route.

Whatever a browser or a script sends, the answer is never a 500.
"""

from __future__ import annotations

import string
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from .helpers import Taker, csrf_token, log_in

FIELDS = [
    "csrf_token",
    "answer",
    "nav",
    "display_name",
    "rate-technical",
    "bg-degree",
    "bg-roles",
    "username",
    "password",
    "next",
    "base",
    "text",
    "id",
    "area",
    "type",
    "prompt",
    "explanation",
    "option_text",
    "correct",
    "option_score",
    "scoring",
    "tolerance",
    "unit",
    "weight",
    "direction",
    "message",
    "rows",
    "id-0",
    "min_area-0",
]
printable = st.text(alphabet=string.printable.strip() + " ", max_size=40)
anything = st.text(max_size=60)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One app with a taker mid-attempt and a logged-in instructor, shared by the examples."""
    import shutil

    from quiz import bundled, create_app

    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(bundled("questions.yaml"), folder / "questions.yaml")
    app = create_app(
        {
            "DATABASE": str(folder / "quiz.db"),
            "SECRET_KEY": "fuzz",
            "QUESTIONS": str(folder / "questions.yaml"),
            "BANK_CHECK_SECONDS": 0,
        }
    )
    taker_client = app.test_client()
    taker = Taker(taker_client)
    taker.start()
    teacher = log_in(app, app.test_client())
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    return {
        "app": app,
        "taker": taker,
        "clients": [taker_client, teacher, app.test_client()],
        "rules": rules,
        "csrf": {
            id(taker_client): taker.csrf,
            id(teacher): csrf_token(teacher.get("/instructor/").data),
        },
    }


def path_for(rule, draw, token: str) -> str:
    path = rule.rule
    for argument, converter in rule._converters.items():
        if type(converter).__name__ == "IntegerConverter":
            value = str(draw(st.integers(0, 70) | st.integers(min_value=0, max_value=10**12)))
        else:
            value = draw(
                st.one_of(
                    st.just(token),
                    st.just("te-lcp-good"),
                    st.just("general"),
                    anything.filter(bool),
                )
            )
        placeholder = next(p for p in (f"<{argument}>", f"<int:{argument}>") if p in path)
        path = path.replace(placeholder, quote(value, safe=""))
    return path


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_input_makes_a_500(world, data):
    draw = data.draw
    rule = draw(st.sampled_from(world["rules"]))
    method = draw(st.sampled_from(sorted(rule.methods - {"OPTIONS"}) + ["PUT", "DELETE"]))
    path = path_for(rule, draw, world["taker"].token)
    query = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "show",
                    "q",
                    "area",
                    "type",
                    "page",
                    "sort",
                    "order",
                    "since",
                    "until",
                    "verdict",
                    "status",
                    "next",
                    "flagged",
                ]
            )
            | printable,
            anything,
            max_size=4,
        )
    )
    client = draw(st.sampled_from(world["clients"]))
    form = MultiDict()
    for name, values in draw(
        st.dictionaries(
            st.sampled_from(FIELDS) | printable, st.lists(anything, max_size=3), max_size=6
        )
    ).items():
        for value in values:
            form.add(name, value)
    if draw(st.booleans()) and id(client) in world["csrf"]:
        form["csrf_token"] = world["csrf"][id(client)]
    headers = {}
    if draw(st.booleans()):
        headers["HX-Request"] = draw(st.sampled_from(["true", "false", ""]))
    if draw(st.booleans()):
        headers["HX-Target"] = draw(st.sampled_from(["review", "question-list", "main", "x"]))
    if draw(st.booleans()):
        headers["HX-History-Restore-Request"] = "true"
    if draw(st.booleans()):
        headers["X-CSRFToken"] = draw(printable)
    url = path + ("?" + urlencode(query) if query else "")
    response = client.open(
        url, method=method, data=form if method in ("POST", "PUT") else None, headers=headers
    )
    assert response.status_code < 500, (
        method,
        url,
        dict(form),
        headers,
        response.data.decode()[-500:],
    )
    assert "Content-Security-Policy" in response.headers


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.binary(min_size=0, max_size=2000),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "text/plain",
            "application/json",
        ]
    ),
)
def test_no_raw_body_makes_a_500(world, body, content_type):
    taker = world["taker"]
    for path in (
        "/start",
        f"{taker.base}/q/1",
        f"{taker.base}/about",
        "/instructor/login",
        "/instructor/raw",
    ):
        response = taker.client.post(path, data=body, content_type=content_type)
        assert response.status_code < 500, (path, body, content_type)


def test_an_oversized_body_is_413_everywhere(world):
    taker = world["taker"]
    big = {"csrf_token": taker.csrf, "answer": "1" * 100_000}
    for path in ("/start", f"{taker.base}/q/1", f"{taker.base}/about", "/instructor/login"):
        assert taker.client.post(path, data=big).status_code == 413
