"""How often the verdict is right: simulated takers with known abilities, through the app.

Each simulated taker has a true ability per area (correlated areas, a realistic
spread). Every question has true parameters near its provisional ones. The taker
answers by the knowledge-or-random-guess model the measurement assumes: with the
probability of mastery they give the best answer, otherwise they pick at random
(a random option, a random non-empty set of options, a wrong number). The true
verdict is the bank's first rule that holds for the taker's true domain mastery.

Every taker takes the fixed form twice and the adaptive form twice, through the
app's own request handling (the real draw or choice of questions, a retake
preferring unseen questions, the real marks and measurement), in two apps that
differ only in the bank's ``adaptive.enabled``:

  (a) fixed form, the stored marks scored as the app scored before the measurement
      (weighted percentages, sharp cuts);
  (b) fixed form, the verdict the app stored (EAP, domain scores, the most probable
      verdict and its probability);
  (c) adaptive form, the verdict the app stored.

It prints, per mode: decision accuracy, decision consistency (the two attempts
agree) with Cohen's kappa (the same beyond chance agreement), the accuracy of
verdicts shown as confident, the share shown as borderline, and questions per
attempt. Attempt tokens are made from --seed, so a run repeats exactly.

    make bench-verdict                               # 300 takers
    make bench-verdict VERDICT_ARGS="--takers 1000"
"""

from __future__ import annotations

import argparse
import math
import random
import re
import secrets
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ruamel.yaml import YAML

from quiz import attempts, bundled, create_app, measurement, scoring
from quiz.bank import Bank
from quiz.scoring import verdict as first_verdict
from quiz.store import Store

CORRELATION = 0.6  # between a taker's areas
ABILITY_MEAN, ABILITY_SD = 0.0, 1.0


def true_parameters(bank: Bank) -> dict[str, measurement.ItemParameters]:
    """Each scored question's true parameters: near its provisional ones, fixed by its id."""
    out = {}
    for q in bank.questions:
        if not q.scored:
            continue
        rng = random.Random(f"true:{q.id}")
        given = measurement.provisional(q)
        out[q.id] = measurement.ItemParameters(
            rng.uniform(1.0, 2.4), given.b + rng.gauss(0, 0.4), given.c, "true"
        )
    return out


def abilities(rng: random.Random, areas: list[str]) -> dict[str, float]:
    """Correlated normal abilities: a common factor plus an area's own part."""
    common = rng.gauss(0, 1)
    own = math.sqrt(1 - CORRELATION)
    return {
        area: ABILITY_MEAN + ABILITY_SD * (math.sqrt(CORRELATION) * common + own * rng.gauss(0, 1))
        for area in areas
    }


def response(q, order: list[int], mastered: bool, rng: random.Random) -> list[str]:
    """The form values of the taker's answer: the best answer when mastered, else a guess."""
    if q.type == "single":
        best = max(range(len(q.options)), key=q.option_score)
        pick = best if mastered else rng.randrange(len(q.options))
        return [str(order.index(pick))]
    if q.type == "multiple":
        n = len(q.options)
        picks = sorted(q.correct_indexes) if mastered else rng.sample(range(n), rng.randint(1, n))
        return [str(order.index(i)) for i in picks]
    if q.type == "numeric":
        return [f"{q.answer:g}" if mastered else f"{q.answer * 3 + 7:g}"]
    return [str(rng.randint(1, 5))]  # a Likert statement: not scored


def take(client, store, truth, theta, rng) -> str:
    """One attempt through the app, answering each screen and pressing Next until the
    app shows the finish screen (a fixed form's last question, or an adaptive attempt
    that has asked enough); returns its token."""
    location = client.post("/start").headers["Location"]
    token = re.search(r"/a/([^/]+)/", location).group(1)
    position = 1
    while True:
        attempt = attempts.load(store, token)
        item = attempts.item(store, attempt, position)
        q = item.question
        mastered = q.scored and rng.random() < truth[q.id].mastery(theta[q.area])
        values = response(q, list(item.option_order), mastered, rng)
        answered = client.post(f"/a/{token}/q/{position}", data={"answer": values, "nav": "next"})
        assert answered.status_code == 303, answered.status_code
        if answered.headers["Location"].endswith("/finish"):
            break
        position += 1
    assert client.post(f"/a/{token}/finish").status_code == 303
    return token


def raw_verdict(store, token) -> str:
    """Mode (a): the stored marks scored as the app scored them before the measurement
    (weighted percentages per area, the first rule that holds)."""
    attempt = attempts.load(store, token)
    marks = [(item.question, item.mark or 0.0) for item in attempts.items(store, attempt)]
    return scoring.result(attempt.scheme, marks).verdict.id


def bank_with_adaptive(path: str, folder: Path, enabled: bool) -> str:
    """A copy of the bank at ``path`` with its adaptive mode turned on or off."""
    yaml = YAML()
    doc = yaml.load(Path(path).read_text(encoding="utf-8"))
    settings = doc.setdefault("settings", {})
    settings["adaptive"] = {**(settings.get("adaptive") or {}), "enabled": enabled}
    copy = folder / ("adaptive.yaml" if enabled else "fixed.yaml")
    with copy.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)
    return str(copy)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--questions", default=str(bundled("questions.yaml")))
    args = parser.parse_args()
    started = time.perf_counter()
    # Attempt tokens seed the draw and the measurement's posterior draws: made from the
    # bench's seed instead of the system's randomness, a run repeats exactly.
    tokens = random.Random(f"tokens:{args.seed}")
    secrets.token_urlsafe = lambda nbytes=32: "".join(
        tokens.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for _ in range(math.ceil((nbytes or 32) * 4 / 3))
    )

    with tempfile.TemporaryDirectory() as tmp:
        apps = {
            form: create_app(
                {
                    "DATABASE": str(Path(tmp) / f"{form}.db"),
                    "QUESTIONS": bank_file,
                    "SECRET_KEY": "bench",
                    # Every simulated taker comes from one address.
                    "START_LIMIT_PER_ADDRESS": 10**9,
                }
            )
            for form, bank_file in (
                ("fixed", bank_with_adaptive(args.questions, Path(tmp), False)),
                ("adaptive", bank_with_adaptive(args.questions, Path(tmp), True)),
            )
        }
        for app in apps.values():
            app.config["WTF_CSRF_ENABLED"] = False  # the bench drives forms directly
        bank = apps["fixed"].extensions["quiz.bank"].current()
        truth = true_parameters(bank)
        areas = [d.id for d in bank.dimensions]
        true_pools = {a: [truth[q.id] for q in bank.in_area(a) if q.scored] for a in areas}
        stores = {form: Store(app.config["DATABASE"]) for form, app in apps.items()}
        rng = random.Random(args.seed)
        # Per mode and taker: (true verdict, [(verdict shown, shown as confident)] x 2).
        results = {"a": [], "b": [], "c": []}
        questions = {"a": [], "b": [], "c": []}
        for _ in range(args.takers):
            theta = abilities(rng, areas)
            mastery = {a: measurement.domain_score(true_pools[a], theta[a]) for a in areas}
            weights = {d.id: d.weight for d in bank.dimensions}
            overall = sum(mastery[a] * weights[a] for a in areas) / sum(weights.values())
            truly = first_verdict(bank.scheme, overall, mastery).id
            shown = {"a": [], "b": [], "c": []}
            for form, modes in (("fixed", "ab"), ("adaptive", "c")):
                client = apps[form].test_client()
                client.get("/")
                for _attempt in range(2):
                    token = take(client, stores[form], truth, theta, rng)
                    attempt = attempts.load(stores[form], token)
                    for mode in modes:
                        questions[mode].append(attempt.total)
                    if "a" in modes:
                        shown["a"].append((raw_verdict(stores[form], token), True))
                    shown[modes[-1]].append((attempt.verdict_id, attempt.scores.settled))
            for mode in shown:
                results[mode].append((truly, shown[mode]))
        for store in stores.values():
            store.close()

    elapsed = time.perf_counter() - started
    print(
        f"{args.takers} takers x 2 attempts through the app, bank {args.questions}, "
        f"seed {args.seed}, {elapsed:.0f} s"
    )
    print(
        f"abilities: N({ABILITY_MEAN}, {ABILITY_SD}) per area, correlation {CORRELATION}; "
        "true item parameters near the provisional ones (a ~ U(1.0, 2.4), b ± N(0, 0.4))"
    )
    header = (
        "mode",
        "accuracy",
        "consistency",
        "consistency κ",
        "confident right",
        "borderline",
        "questions",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    names = {
        "a": "(a) fixed form, raw %",
        "b": "(b) fixed form, IRT (EAP)",
        "c": "(c) adaptive, IRT (EAP)",
    }
    for mode, rows in results.items():
        attempts_ = [(truly, v, sure) for truly, pair in rows for v, sure in pair]
        accuracy = sum(v == truly for truly, v, _ in attempts_) / len(attempts_)
        consistency = sum(pair[0][0] == pair[1][0] for _, pair in rows) / len(rows)
        kappa = _kappa([(pair[0][0], pair[1][0]) for _, pair in rows])
        confident = [(truly, v) for truly, v, sure in attempts_ if sure]
        right = sum(v == truly for truly, v in confident) / len(confident) if confident else 0
        borderline = 1 - len(confident) / len(attempts_)
        print(
            f"| {names[mode]} | {accuracy:.2f} | {consistency:.2f} | {kappa:.2f} | {right:.2f} | "
            f"{borderline:.2f} | {sum(questions[mode]) / len(questions[mode]):.1f} |"
        )
    truths = Counter(truly for truly, _ in results["a"])
    print("true verdicts: " + ", ".join(f"{v} {n}" for v, n in truths.most_common()))
    print("command: python bench/verdict.py " + " ".join(sys.argv[1:]))
    return 0


def _kappa(pairs: list[tuple[str | None, str | None]]) -> float:
    """Cohen's kappa of two attempts' verdicts: agreement beyond what the shares of each
    verdict would give by chance (a bench that mostly says "not yet" agrees by chance)."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(first[k] * second[k] for k in first) / (n * n)
    return (observed - chance) / (1 - chance) if chance < 1 else 1.0


if __name__ == "__main__":
    raise SystemExit(main())
