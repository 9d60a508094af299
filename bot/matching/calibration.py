"""Calibrated confidence: the probability that the best topic is the right one.

A logistic model over a few pieces of evidence (combined score, margin to the runner-up,
each scorer's score, how many of the question's words the content knows, how much of the
question's weight the topic covers, length). Raw scores alone cannot tell a long question
with personal context from an unrelated one that shares a few words with a topic; these
together can. Coefficients live in ``calibration.json`` and are refitted on our own
labelled questions with ``python -m benchmarks.calibrate`` whenever content or scorers
change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
FEATURES = ("score", "margin", "lexical", "profile", "fuzzy", "known", "coverage", "length",
            "same_language", "smalltalk")


@dataclass(frozen=True)
class Calibration:
    weights: dict[str, float]
    intercept: float
    answer_threshold: float

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls({k: float(data["weights"].get(k, 0.0)) for k in FEATURES},
                   float(data["intercept"]),
                   float(data["answer_threshold"]))

    def confidence(self, evidence: dict[str, float]) -> float:
        z = self.intercept + sum(w * evidence.get(k, 0.0) for k, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def save(self, path: Path = CALIBRATION_FILE) -> None:
        path.write_text(json.dumps({"weights": self.weights, "intercept": self.intercept,
                                    "answer_threshold": self.answer_threshold}, indent=2)
                        + "\n", encoding="utf-8")
