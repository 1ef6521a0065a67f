"""Environmental credit ratings of firms, kept by each region's regulator.

Four grades as in 企业环境信用评价办法(试行) (环发〔2013〕150号): green, blue, yellow, red.
Scores and cut-offs follow Chongqing's 渝环规〔2021〕7号: at least 100 (of 108) green, 80-99
blue, 60-79 yellow, below 60 red (reference/domain.md section 7). How a year's record moves the
score is an assumption [L]: a compliant year earns points back, a shortfall, unpaid dues or a
loan default cost points.
"""

from __future__ import annotations

from typing import Final

import numpy as np

GRADES: Final = ("green", "blue", "yellow", "red")
CUTOFFS = (100.0, 80.0, 60.0)
MAX_SCORE = 108.0

# Starting scores per grade, at the middle of each band.
_START = {"green": 104.0, "blue": 90.0, "yellow": 70.0, "red": 50.0}
_COMPLIANT_YEAR = 4.0
_SHORTFALL = 25.0
_UNPAID = 15.0
_DEFAULT = 40.0


def grade_of(score: np.ndarray) -> np.ndarray:
    """Grade index (0 green ... 3 red) of each score."""
    return np.searchsorted(-np.asarray(CUTOFFS), -np.asarray(score), side="left")


def draw_scores(shares: dict[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    """Starting scores drawn by grade shares (e.g. Guangdong 2017: G .15 B .72 Y .10 R .03),
    grades taken from green to red whatever the order of ``shares``."""
    names = [g for g in GRADES if g in shares]
    p = np.array([shares[g] for g in names])
    picks = rng.choice(len(names), size=n, p=p / p.sum())
    return np.array([_START[names[k]] for k in picks])


def update_scores(score: np.ndarray, shortfall: np.ndarray, unpaid: np.ndarray,
                  defaulted: np.ndarray) -> np.ndarray:
    """Next year's scores from this year's record (negative information lowers them)."""
    clean = ~(shortfall | unpaid | defaulted)
    new = (score + _COMPLIANT_YEAR * clean - _SHORTFALL * shortfall - _UNPAID * unpaid
           - _DEFAULT * defaulted)
    scores: np.ndarray = np.clip(new, 0.0, MAX_SCORE)
    return scores
