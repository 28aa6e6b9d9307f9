"""The taker's side of cohorts (issue 18): the invitation page, starting within a cohort
with consent, closed cohorts, My results showing and leaving cohorts, deleting one's data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quiz import cohorts

from .helpers import Taker, csrf_token

TOKEN = "T" * 32


@pytest.fixture
def cohort(store) -> int:
    return store.create_cohort(
        "coach", "Spring intake", TOKEN, description="Week 1 of the bootcamp", mode="practice"
    )


def attempts_of(store) -> list[tuple]:
    return store.db.execute("SELECT token, cohort_id, mode FROM attempts ORDER BY id").fetchall()


def start_in(client, consent: bool = True, token: str = TOKEN, **headers):
    page = client.get(f"/c/{token}")
    data = {"csrf_token": csrf_token(page.data)} | ({"consent": "yes"} if consent else {})
    return client.post(f"/c/{token}/start", data=data, headers=headers)


def test_the_invitation_says_who_sees_what_and_for_how_long(client, cohort):
    response = client.get(f"/c/{TOKEN}")
    assert response.status_code == 200
    page = " ".join(response.data.decode().split())
    assert "Spring intake" in page and "Week 1 of the bootcamp" in page
    assert "Who sees your results" in page and "The cohort's instructors" in page
    assert "The name you give" in page and "your scores and verdict" in page
    assert "your answers to every question" in page
    # The app's retention (730 days by default), as My results words it.
    assert "As long as the attempt is kept: 2 years after your last visit" in page
    assert "leave the cohort or delete your data" in page
    assert "I agree that the cohort's instructors see this attempt" in page
    assert f'action="/c/{TOKEN}/start"' in page
    assert 'action="/start"' in page and "Take the assessment on my own instead" in page


def test_a_visit_counts_once_per_browser(app, client, store, cohort):
    client.get(f"/c/{TOKEN}")
    client.get(f"/c/{TOKEN}")
    app.test_client().get(f"/c/{TOKEN}")
    assert store.cohort(cohort, "coach")["visits"] == 2


def test_starting_with_consent_creates_an_attempt_in_the_cohort_in_its_mode(client, store, cohort):
    response = start_in(client)
    assert response.status_code == 303
    token = response.headers["Location"].split("/")[2]
    assert response.headers["Location"] == f"/a/{token}/about"
    assert attempts_of(store) == [(token, cohort, "practice")]
    row = store.cohort(cohort, "coach")
    assert (row["visits"], row["started"], row["finished"]) == (1, 1, 0)


def test_starting_with_htmx_brings_the_about_page_and_its_url(client, store, cohort):
    response = start_in(client, **{"HX-Request": "true"})
    assert response.status_code == 200
    (token, _, _), *_ = attempts_of(store)
    assert response.headers["HX-Push-Url"] == f"/a/{token}/about"
    assert "About you" in response.data.decode()


def test_an_assessment_cohort_starts_an_assessment(client, store):
    assessment = store.create_cohort("coach", "Team", "A" * 32)
    start_in(client, token="A" * 32)
    assert [(c, m) for _, c, m in attempts_of(store)] == [(assessment, "assessment")]


def test_starting_without_consent_is_refused_and_starts_nothing(client, store, cohort):
    response = start_in(client, consent=False)
    assert response.status_code == 422
    page = response.data.decode()
    assert "tick the box to agree" in page
    assert 'role="alert"' in page and "Spring intake" in page
    assert attempts_of(store) == []


@pytest.mark.parametrize("how", ["closed", "past"])
def test_a_closed_cohort_says_so_and_refuses_to_start(client, store, cohort, how):
    yesterday = datetime.now(UTC) - timedelta(days=1)
    if how == "closed":
        store.update_cohort(cohort, "coach", closed_at=cohorts.iso(yesterday))
    else:
        store.update_cohort(cohort, "coach", closes_at=cohorts.iso(yesterday))
    page = " ".join(client.get(f"/c/{TOKEN}").data.decode().split())
    said = "is closed" if how == "closed" else "is past its closing date"
    assert f"This cohort {said}" in page
    assert "You can still take the assessment on your own" in page
    assert "I agree that" not in page  # no consent form on a closed cohort
    assert "Take the assessment on my own instead" in page
    response = start_in(client)
    assert response.status_code == 409
    assert "no longer takes new attempts" in response.data.decode()
    assert attempts_of(store) == []


def test_a_cohort_with_a_closing_date_ahead_takes_attempts(client, store, cohort):
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    store.update_cohort(cohort, "coach", closes_at=cohorts.iso(tomorrow))
    assert "takes new attempts until" in client.get(f"/c/{TOKEN}").data.decode()
    assert start_in(client).status_code == 303


@pytest.mark.parametrize("token", ["U" * 32, "short", "x" * 33, "bad!" * 8])
def test_an_unknown_or_malformed_token_is_not_found(client, cohort, token):
    response = client.get(f"/c/{token}")
    assert response.status_code == 404
    assert "no cohort at this address" in response.data.decode()
    assert client.post(f"/c/{token}/start", data={"consent": "yes"}).status_code in (400, 404)


def test_starting_on_ones_own_from_the_invitation_is_outside_the_cohort(client, store, cohort):
    page = client.get(f"/c/{TOKEN}")
    response = client.post("/start", data={"csrf_token": csrf_token(page.data)})
    assert response.status_code == 303
    assert [(c, m) for _, c, m in attempts_of(store)] == [(None, "assessment")]


def test_my_results_shows_the_cohort_and_leaving_keeps_the_attempts(client, store, cohort):
    start_in(client)
    Taker(client).start()  # one outside the cohort
    page = client.get("/me/").data.decode()
    assert page.count("In cohort: Spring intake") == 1
    assert "Leave this cohort" in page
    response = client.post(
        f"/me/cohort/{cohort}/leave", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )
    after = response.data.decode()
    assert "You left the cohort" in after and "They stay yours" in after
    assert "In cohort:" not in after and "Leave this cohort" not in after
    assert after.count("In progress:") == 2  # both attempts still on My results
    assert [c for _, c, _ in attempts_of(store)] == [None, None]
    assert store.cohort(cohort, "coach")["started"] == 0


def test_leaving_needs_the_csrf_token_and_touches_only_ones_own(app, client, store, cohort):
    start_in(client)
    other = app.test_client()
    page = other.get("/me/").data.decode()
    response = other.post(
        f"/me/cohort/{cohort}/leave", data={"csrf_token": csrf_token(page)}, follow_redirects=True
    )
    assert "nothing changed" in response.data.decode()
    assert store.cohort(cohort, "coach")["started"] == 1
    assert client.post(f"/me/cohort/{cohort}/leave").status_code == 400
    assert store.cohort(cohort, "coach")["started"] == 1


def test_deleting_ones_data_takes_it_out_of_the_cohort(client, store, cohort):
    start_in(client)
    assert store.cohort(cohort, "coach")["visits"] == 1
    page = client.get("/me/delete").data.decode()
    response = client.post("/me/delete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    row = store.cohort(cohort, "coach")
    assert (row["visits"], row["started"], row["finished"]) == (0, 0, 0)


def test_opening_the_link_sets_no_lasting_cookie(client, cohort):
    """Opening a link agrees to nothing: the visitor's id ends with the browser session
    until they start, which keeps it for a year as the landing page's start does."""
    cookies = [c for c in client.get(f"/c/{TOKEN}").headers.getlist("Set-Cookie")]
    assert cookies and all("Expires=" not in c for c in cookies if c.startswith("session="))
    started = start_in(client)
    assert any("Expires=" in c for c in started.headers.getlist("Set-Cookie"))


def test_the_invitation_offers_to_continue_an_attempt_in_the_cohort(client, store, cohort):
    token = start_in(client).headers["Location"].split("/")[2]
    page = client.get(f"/c/{TOKEN}").data.decode()
    assert "You have started in this cohort" in page
    assert f'href="/a/{token}"' in page and "Continue where you left off" in page
    assert "Start a new attempt in the cohort" in page
    # An attempt outside the cohort is not offered here.
    Taker(client).start()
    page = client.get(f"/c/{TOKEN}").data.decode()
    assert page.count("Continue where you left off") == 1
