"""Governments' budgets: a government never lacks cash for a payment it has to make.

What its cash does not cover is appropriated from its budget first, an issue of cash from
the registry's ``outside`` account, so every yuan it then pays is still a registry transfer
and the end-of-run audit covers it.
"""

from __future__ import annotations

from exchange import CASH, OUTSIDE, Registry

__all__ = ["appropriate"]


def appropriate(registry: Registry, government: str, fen: int, purpose: str) -> None:
    """Make sure ``government`` holds ``fen`` of cash, drawing the difference from its
    budget (memo ``budget appropriation for <purpose>``)."""
    short = fen - registry.cash(government)
    if short > 0:
        registry.issue(OUTSIDE, government, CASH, short,
                       memo=f"budget appropriation for {purpose}")
