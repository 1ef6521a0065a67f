"""The joint credit committee's rules (银保监发〔2018〕24号), as pure functions.

- **When a committee is required.** Article 3 of the 2018 trial measures: banks *shall* set
  up a joint mechanism for a firm with financing at ``min_banks`` (3) or more banking
  institutions *and* a total of ``mandatory_yuan`` (5 bn) or more, and *may* for one with
  financing at 3 or more banks *and* a total between ``voluntary_yuan`` (2 bn) and the
  mandatory threshold. Both thresholds are scaled by 1/100 for district firms
  (reference/domain.md s. 6); whether banks take up the voluntary band is ``voluntary_joins``
  [L].
- **The vote.** Each member bank votes yes, no or abstains. A bank that cannot take a share
  (at its single-borrower limit, out of cash, its green lending paused) abstains; a bank
  below its capital floor votes no (its supervisor bars new risk). Votes are weighted by
  the banks' claims on the firm and the abstainers' claims do not count; the loan passes
  with ``vote_threshold`` (2/3 [L]) of the voting claims, or of the voting banks by head
  when none of them holds a claim yet.
- **The syndicate.** The banks voting yes share the loan pro rata to their capital; a bank
  whose share would pass its room takes its room and the others take the rest in the same
  proportions; what nobody has room for is cut from the loan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agents.banks import JointRules

__all__ = ["Ballot", "Vote", "allocate", "band", "forms", "passes"]

Vote = Literal["yes", "no", "abstain"]
Band = Literal["mandatory", "voluntary", "none"]


@dataclass(frozen=True, slots=True)
class Ballot:
    """One member's vote on one loan.

    Attributes:
        bank: the member bank's name.
        vote: ``yes``, ``no`` or ``abstain``.
        claims_fen: the bank's outstanding claims on the firm, its voting weight.
        reason: why a bank voted no or abstained (empty for yes).
    """

    bank: str
    vote: Vote
    claims_fen: int
    reason: str = ""


def band(lenders: int, financing_yuan: float, rules: JointRules) -> Band:
    """Which band of the 2018 rules a firm's financing falls in.

    Args:
        lenders: banks with financing outstanding to the firm.
        financing_yuan: the firm's total financing, yuan (outstanding plus the request).
        rules: the scenario's thresholds.

    Returns:
        ``mandatory`` (at least ``min_banks`` banks and at least ``mandatory_yuan``),
        ``voluntary`` (at least ``min_banks`` banks and at least ``voluntary_yuan``) or
        ``none``.
    """
    if lenders < rules.min_banks:
        return "none"
    if financing_yuan >= rules.mandatory_yuan:
        return "mandatory"
    if financing_yuan >= rules.voluntary_yuan:
        return "voluntary"
    return "none"


def forms(lenders: int, financing_yuan: float, rules: JointRules) -> bool:
    """Whether a committee decides the firm's loans: always in the mandatory band, in the
    voluntary band when the banks take it up (``rules.voluntary_joins``)."""
    which = band(lenders, financing_yuan, rules)
    return which == "mandatory" or (which == "voluntary" and rules.voluntary_joins)


def passes(ballots: list[Ballot], threshold: float) -> bool:
    """Whether the yes votes reach ``threshold`` of the votes cast (abstentions left out),
    weighted by claims, or by head when no voting bank holds a claim."""
    voting = [b for b in ballots if b.vote != "abstain"]
    if not voting:
        return False
    weight = sum(b.claims_fen for b in voting)
    if weight == 0:
        return sum(b.vote == "yes" for b in voting) >= threshold * len(voting)
    return sum(b.claims_fen for b in voting if b.vote == "yes") >= threshold * weight


def allocate(amount_fen: int, weights: dict[str, float], room_fen: dict[str, int]
             ) -> dict[str, int]:
    """Split a loan between banks pro rata to ``weights``, none above its room.

    A bank whose pro-rata part would pass its room takes its room, and the rest is split
    again among the others in the same proportions; the loan shrinks by what no bank has
    room for. Rounding fen go to the banks by weight, largest first (name breaks ties).

    Args:
        amount_fen: the loan asked for, fen.
        weights: positive weight of each participating bank.
        room_fen: what each bank may still lend the firm, fen.

    Returns:
        Each participating bank's part, fen (banks with nothing left out); the parts sum to
        at most ``amount_fen``.

    Raises:
        ValueError: a weight is not positive or a bank has no room entry.
    """
    for name, w in weights.items():
        if w <= 0:
            raise ValueError(f"weights.{name}: must be positive, got {w}")
        if name not in room_fen:
            raise ValueError(f"room_fen.{name}: missing")
    parts: dict[str, int] = {}
    open_ = {n: w for n, w in weights.items() if room_fen[n] > 0}
    left = amount_fen
    while open_ and left > 0:
        total = sum(open_.values())
        capped = {n for n, w in open_.items() if room_fen[n] <= left * w / total}
        if not capped:
            exact = {n: left * w / total for n, w in open_.items()}
            for n, x in exact.items():
                parts[n] = int(x)
            rest = left - sum(parts[n] for n in open_)
            for n in sorted(open_, key=lambda n: (-open_[n], n)):
                step = min(rest, room_fen[n] - parts[n])
                parts[n] += step
                rest -= step
            break
        for n in capped:
            parts[n] = room_fen[n]
            left -= room_fen[n]
            del open_[n]
    return {n: fen for n, fen in sorted(parts.items()) if fen > 0}
