"""Item analysis for instructors: statistics per question version, summaries, flags.

Reads the sums the store keeps as attempts finish (so the cost does not grow
with the number of attempts) and hands them to ``stats``, which computes
facility, discrimination, alpha and the rest as Moodle's quiz statistics
report does (docs/statistics.md). No Flask and no SQL here: the store is asked.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import stats
from .attempts import question_of
from .bank import Bank
from .calibration import calibrate
from .measurement import guessing_floor

if TYPE_CHECKING:
    from .store import Store


def item_analysis(store: Store, bank: Bank | None, cohort: int | None = None) -> dict[str, Any]:
    """Item statistics per question version, and summaries of the test and each area.

    Returns a dict for the statistics page: ``items`` (one dict per version:
    version, q, area, stats (stats.ItemStats), current, random_guess (Moodle's random
    guess score, 0..1), options; current versions
    first, in bank order), ``test`` and ``areas`` (stats.Summary or None, per
    area name), ``attempts`` (finished assessments) and ``form_attempts`` (how
    many share the largest form, on which alpha rests). Likert self-descriptions
    and other unscored questions are not in the store's sums, so not here.

    ``cohort`` (a cohort's id): over that cohort's finished assessments only, whose sums
    the store computes when asked rather than keeps.
    """
    sums = store.item_sums(cohort)
    bodies = store.versions([row["version_hash"] for row in sums])
    current = {bank.versions[q.id][0]: q.id for q in bank.questions} if bank else {}
    chosen = _option_counts(store.option_counts(cohort))

    items = []
    for row in sums:
        q = question_of(row["version_hash"], bodies[row["version_hash"]])
        if not q.scored:  # a version stored before Likert statements were never scored
            continue
        result = _item_stats(row)
        items.append(
            {
                "version": row["version_hash"],
                "q": q,
                "area": row["area"],
                "stats": result,
                "current": row["version_hash"] in current,
                "random_guess": guessing_floor(q),
                "options": _option_rows(q, chosen.get(row["version_hash"], Counter()), result.n),
            }
        )
    order = {qid: i for i, qid in enumerate(current.values())}
    items.sort(key=lambda i: (not i["current"], order.get(i["q"].id, 0), i["q"].id))

    moments = store.score_moments(cohort)
    form = store.largest_form(cohort)
    totals, form_items = store.form_sums(form[0], cohort) if form else ([], [])

    def summarise(area: str) -> stats.Summary | None:
        if area not in moments:
            return None
        form_data = None
        for scope, n, sum_t, sum_t2, max_total in totals:
            if scope == area and max_total:
                kept = [
                    (n_i, s, sq) for item_area, n_i, s, sq in form_items if area in ("", item_area)
                ]
                form_data = stats.Form(
                    n,
                    sum_t,
                    sum_t2,
                    [stats.variance(n_i, s, sq) for n_i, s, sq in kept],
                    max_total,
                    [n_i for n_i, _, _ in kept],
                )
        return stats.summary(moments[area], form_data)

    areas = [(d.id, d.name) for d in bank.dimensions] if bank else []
    return {
        "items": items,
        "test": summarise(""),
        "areas": [(name, summarise(area)) for area, name in areas],
        "attempts": moments[""][0] if "" in moments else 0,
        "form_attempts": form[1] if form else 0,
    }


def _item_stats(row: dict[str, Any]) -> stats.ItemStats:
    """The statistics of one version from its row of the store's ``item_sums``."""
    return stats.item_stats(
        stats.ItemSums(
            row["n"],
            row["max_mark"],
            row["sum_x"],
            row["sum_x2"],
            row["sum_t"],
            row["sum_t2"],
            row["sum_xt"],
        )
    )


def current_item_stats(store: Store, bank: Bank | None) -> list[tuple[Any, stats.ItemStats]]:
    """(question, statistics of its current version) for each scored question of the bank
    that finished assessments have answered, in bank order.

    The same figures and flags as :func:`item_analysis` gives the current versions, from
    the per-version sums alone: no option counts, score moments or forms, so its cost is
    the size of the bank, not of the attempts (the dashboard and the question list).
    """
    if bank is None:
        return []
    sums = {row["version_hash"]: row for row in store.item_sums()}
    out = []
    for q in bank.questions:
        row = sums.get(bank.versions[q.id][0])
        if row is not None and q.scored:
            out.append((q, _item_stats(row)))
    return out


def current_flags(store: Store, bank: Bank | None) -> dict[str, list[str]]:
    """The statistics flags of each question's current version, by question id
    (only questions that have any)."""
    return {q.id: list(s.flags) for q, s in current_item_stats(store, bank) if s.flags}


def most_flagged(
    items: list[tuple[Any, stats.ItemStats]], limit: int
) -> tuple[int, list[tuple[Any, stats.ItemStats]]]:
    """Of ``items`` (what :func:`current_item_stats` gives), how many the statistics flag,
    and the ``limit`` most telling of those.

    Most telling first: a question that works against the test (negative
    discrimination), then figures resting on enough attempts (not tentative), more
    flags, lower discrimination (none, when every attempt scored it the same, counts as
    0) and more attempts.
    """
    flagged = sorted((pair for pair in items if pair[1].flags), key=lambda p: _severity(p[1]))
    return len(flagged), flagged[:limit]


def _severity(s: stats.ItemStats) -> tuple[bool, bool, int, float, int]:
    """A sort key, lowest first for the most telling flags (``most_flagged``)."""
    discrimination = 0.0 if s.discrimination is None else s.discrimination
    return (discrimination >= 0, s.tentative, -len(s.flags), discrimination, -s.n)


def _option_counts(rows: Iterable[tuple[str, int, int]]) -> dict[str, Counter[int]]:
    """How often each option (by its index in the bank) was chosen, per version."""
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    for version, option, count in rows:
        counts[version][option] += count
    return counts


def _option_rows(q: Any, counts: Counter[int], n: int) -> list[dict[str, Any]]:
    """Per option: its text, times chosen, share of the version's attempts (0..1),
    whether it is right (the best option, for weighted items) and its weight."""
    if not q.has_options:
        return []
    return [
        {
            "text": option.text,
            "count": counts[i],
            "share": counts[i] / n if n else 0,
            "right": q.option_score(i) >= 1 if q.type == "single" else i in q.correct_indexes,
            "score": option.score,
        }
        for i, option in enumerate(q.options)
    ]


def calibrate_versions(store: Store, min_responses: int) -> list[dict[str, Any]]:
    """Calibrate every scored question version from finished assessments, one area at a
    time, and keep the parameters of the versions with at least ``min_responses``
    answers (the others stay provisional).

    Returns one dict per version, area by area: version, q, area, n, a, b, c, se_a,
    se_b, rmsd and ``kept`` (whether it now has calibrated parameters).
    """
    by_area: dict[str, dict[int, dict[str, float]]] = defaultdict(dict)
    for attempt_id, version, area, mark in store.version_marks():
        by_area[area].setdefault(attempt_id, {})[version] = mark
    bodies = store.versions(
        sorted({v for people in by_area.values() for row in people.values() for v in row})
    )
    rows, kept = [], []
    for area, people in sorted(by_area.items()):
        versions = sorted(
            {v for row in people.values() for v in row}, key=lambda v: (bodies[v]["id"], v)
        )
        questions = [question_of(v, bodies[v]) for v in versions]
        table = [[row.get(v) for v in versions] for row in people.values()]
        fitted = calibrate(table, [guessing_floor(q) for q in questions])
        for version, q, f in zip(versions, questions, fitted, strict=True):
            row = {
                "version_hash": version,
                "q": q,
                "area": area,
                "n": f.n,
                "a": f.a,
                "b": f.b,
                "c": f.c,
                "se_a": f.se_a,
                "se_b": f.se_b,
                "rmsd": f.rmsd,
                "kept": f.n >= min_responses,
            }
            rows.append(row)
            if row["kept"]:
                kept.append({k: v for k, v in row.items() if k not in ("q", "area", "kept")})
    store.replace_item_parameters(kept)
    return rows
