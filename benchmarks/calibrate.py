"""Refit the matcher's calibrated confidence (bot/matching/calibration.json).

    .venv/bin/python -m benchmarks.calibrate [--write]

Trains a logistic model "is the best topic right?" on our own labelled questions
(tests/data/questions.jsonl, tests/data/calibration_*.jsonl and half of
tests/data/heldout.jsonl), picks the
answer threshold that maximises answered-right plus declined-out-of-scope, and reports
both on the other half of heldout.jsonl, which it never trains on. The shared dev set is
not used here: it stays an independent check (make eval).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bot.config import PROJECT_ROOT
from bot.content.loader import load_content
from bot.matching.calibration import FEATURES, Calibration
from bot.matching.index import SMALLTALK_PREFIX
from bot.matching.matcher import Matcher

MIN_DECLINED = 0.90


def load(name: str) -> list[dict]:
    path = PROJECT_ROOT / "tests" / "data" / name
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def examples(matcher: Matcher, questions: list[dict]) -> tuple[np.ndarray, np.ndarray,
                                                               np.ndarray]:
    """Evidence rows, label (best topic right), and whether small talk took it anyway."""
    rows, labels, small = [], [], []
    for q in questions:
        result = matcher.match(q["text"])
        if result.decision.value in ("smalltalk", "empty") or not result.evidence:
            small.append(True)
            rows.append([0.0] * len(FEATURES))
            labels.append(False)
            continue
        best = next(t for t, _ in result.ranked if not t.startswith(SMALLTALK_PREFIX))
        small.append(False)
        rows.append([result.evidence[f] for f in FEATURES])
        labels.append(best in q["topics"])
    return np.array(rows), np.array(labels, dtype=float), np.array(small)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> tuple[np.ndarray,
                                                                                  float]:
    """Logistic regression by Newton's method on standardised features (small, exact)."""
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / std])
    w = np.zeros(z.shape[1])
    reg = np.eye(z.shape[1]) * l2
    reg[0, 0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (p - y) + reg @ w
        hess = z.T @ (z * (p * (1 - p))[:, None]) + reg
        w -= np.linalg.solve(hess, grad)
    coef = w[1:] / std
    return coef, float(w[0] - (coef * mean).sum())


def outcome(cal: Calibration, x, y, small, questions) -> tuple[float, float]:
    right = declined = n_in = n_out = 0
    for row, label, is_small, q in zip(x, y, small, questions, strict=True):
        answered = (not is_small) and cal.confidence(dict(zip(FEATURES, row, strict=True))) >= (
            cal.answer_threshold)
        if q["topics"]:
            n_in += 1
            right += answered and bool(label)
        else:
            n_out += 1
            declined += not answered
    return right / max(n_in, 1), declined / max(n_out, 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="save calibration.json")
    args = ap.parse_args()
    matcher = Matcher(load_content(PROJECT_ROOT / "content"))
    heldout = load("heldout.jsonl")
    # heldout.jsonl alternates a short and a long question per topic and language: keep
    # both styles on each side of the split.
    extra = [q for path in sorted((PROJECT_ROOT / "tests" / "data").glob("calibration_*.jsonl"))
             for q in load(path.name)]
    train_q = (load("questions.jsonl") + extra
               + [q for i, q in enumerate(heldout) if i // 2 % 2 == 0])
    test_q = [q for i, q in enumerate(heldout) if i // 2 % 2 == 1]
    x, y, small = examples(matcher, train_q)
    xt, yt, smallt = examples(matcher, test_q)
    keep = ~small
    coef, intercept = fit(x[keep], y[keep])
    weights = {f: round(float(c), 4) for f, c in zip(FEATURES, coef, strict=True)}
    # The lowest threshold that still declines 90% of out-of-scope training questions:
    # as many right answers as possible without confident answers to unrelated questions.
    candidates = []
    for t in np.arange(0.1, 0.91, 0.025):
        top1, oos = outcome(Calibration(weights, intercept, t), x, y, small, train_q)
        if oos >= MIN_DECLINED:
            candidates.append((top1, -t, t))
    best = (None, max(candidates)[2] if candidates else 0.5)
    cal = Calibration(weights, round(intercept, 4), round(float(best[1]), 3))
    print("weights", weights, "intercept", cal.intercept, "threshold", cal.answer_threshold)
    for name, data in (("train", (x, y, small, train_q)), ("test", (xt, yt, smallt, test_q))):
        top1, oos = outcome(cal, *data)
        print(f"{name}: answered right {top1:.1%}, out-of-scope declined {oos:.1%}")
    if args.write:
        cal.save()
        print("written", "bot/matching/calibration.json")


if __name__ == "__main__":
    main()
