"""How well the offline comment analysis does, per language (issue 17).

Reads the labelled sample tests/data/feedback_comments.csv (written by hand for
this purpose: 62 comments per language, each labelled pos/neu/neg and with its
categories) and prints, per language: sentiment accuracy (pos >= 15, neg <= -15,
else neutral), and precision/recall per category.

Caveat printed with the figures: the lexicon was written alongside this sample,
so these are in-sample figures, an upper bound for unseen comments.

    python bench/sentiment.py
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

from shopdesk.domain.feedback.sentiment import CATEGORIES, LANGUAGES, analyse

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "feedback_comments.csv"
CUT = 15


def label(score: int) -> str:
    return "pos" if score >= CUT else "neg" if score <= -CUT else "neu"


def evaluate(path: Path = SAMPLE) -> dict[str, dict[str, float]]:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    out: dict[str, dict[str, float]] = {}
    for lang in LANGUAGES:
        mine = [r for r in rows if r["language"] == lang]
        right = 0
        tp: Counter[str] = Counter()
        fp: Counter[str] = Counter()
        fn: Counter[str] = Counter()
        for r in mine:
            got = analyse(r["text"], lang)
            right += label(got.sentiment) == r["sentiment"]
            want = set(r["categories"].split("|"))
            have = set(got.categories)
            for c in (*CATEGORIES, "other"):
                tp[c] += c in want and c in have
                fp[c] += c in have and c not in want
                fn[c] += c in want and c not in have
        figures = {"comments": float(len(mine)), "sentiment_accuracy": right / len(mine)}
        for c in CATEGORIES:
            figures[f"{c}_precision"] = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 0.0
            figures[f"{c}_recall"] = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 0.0
        out[lang] = figures
    return out


def main() -> int:
    results = evaluate()
    print("in-sample figures on tests/data/feedback_comments.csv "
          "(the lexicon was written alongside it: an upper bound)")
    for lang, f in results.items():
        print(f"{lang}: {int(f['comments'])} comments, sentiment accuracy "
              f"{f['sentiment_accuracy']:.0%}")
        for c in CATEGORIES:
            print(f"    {c:<14} precision {f[c + '_precision']:.0%}  "
                  f"recall {f[c + '_recall']:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
