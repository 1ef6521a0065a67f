"""Trading ratios for water pollutants from the river network (Hung and Shaw 2005).

A tonne of a water pollutant discharged at the head of reach ``i`` arrives at monitoring
section ``k`` as ``d_ik`` tonnes, the product of ``exp(-k L / u)`` along the path
(:func:`agents.river.transfer_coefficients`); a source whose reach does not drain to ``k``,
or a source off the modelled network, has ``d_ik = 0`` unless the scenario gives sources off
the network a coefficient of their own.

In the linked design each region keeps a market of its own in which every right is worth a
tonne anywhere in the region. A right sold across the border is therefore *not* abated where
its seller sits: the seller region's cap falls by a tonne, its price rises, and every one of
its firms abates a little more. With quadratic abatement costs ``C_i(a) = s_i a^2 / 2``
every firm on the margin abates ``1 / s_i`` more per yuan of price, so a tonne exported is
abated in the shares ``w_i = (1 / s_i) / sum_j (1 / s_j)`` across the seller region, and
the buyer region emits its ``ratio`` tonnes in the shares ``v_j`` of its own firms. The
load at section ``k`` is unchanged when

    ratio_k = sum_i w_i d_ik / sum_j v_j d_jk,

which is exact for linear marginal costs while every firm abates partly (Montgomery 1972:
with a fungible home market only the response-weighted coefficient is ambient-neutral; a
ratio per selling source would be undone by the seller buying a home right back). The
trading ratio is the smallest ``ratio_k`` over the sections the buyer region's sources
reach (sections no buyer source reaches cannot get worse), so no section gets worse.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import numpy.typing as npt

from agents.river import sections, transfer_coefficients

__all__ = ["receptor_ratios", "source_coefficients", "trading_ratio_at_receptors"]


def source_coefficients(graph: nx.DiGraph[str], assignment: npt.NDArray[np.int64], pollutant: str,
                        section: str, off_network: float = 0.0) -> npt.NDArray[np.float64]:
    """Share of each firm's discharge of ``pollutant`` that arrives at ``section``.

    Args:
        graph: a network from :func:`agents.river.river_graph`.
        assignment: each firm's reach as an index into ``list(graph)``, -1 off the network
            (:func:`agents.river.assign_firms`).
        pollutant: a pollutant the river carries (decay 0 if a reach does not list it).
        section: a monitoring section's name.
        off_network: the coefficient of a source off the modelled network, in [0, 1].

    Returns:
        One coefficient per firm, in [0, 1]; 0 for a reach that does not drain to the
        section.

    Raises:
        ValueError: an unknown section, or ``off_network`` outside [0, 1].
    """
    if section not in sections(graph):
        raise ValueError(f"section: no monitoring section {section!r}")
    if not 0.0 <= off_network <= 1.0:
        raise ValueError(f"off_network: must lie in [0, 1], got {off_network}")
    names = list(graph)
    by_reach = transfer_coefficients(graph, pollutant, section)
    table = np.array([by_reach.get(n, 0.0) for n in names] + [off_network])
    return table[np.where(assignment >= 0, assignment, len(names))]


def receptor_ratios(graph: nx.DiGraph[str], assignment: npt.NDArray[np.int64],
                    seller: npt.NDArray[np.bool_], buyer: npt.NDArray[np.bool_],
                    slope: npt.NDArray[np.float64], pollutant: str,
                    receptors: Sequence[str] = (), off_network: float = 0.0
                    ) -> dict[str, float]:
    """The ambient-neutral ratio at each receptor the buyer region's sources reach.

    Args:
        graph, assignment, pollutant, off_network: as in :func:`source_coefficients`.
        seller: which firms are the seller region's emitters of the pollutant.
        buyer: which firms are the buyer region's emitters of the pollutant.
        slope: each firm's MAC slope for the pollutant, yuan/t^2, > 0 where it emits.
        receptors: the sections to protect; empty for every monitoring section.

    Returns:
        ``sum_i w_i d_ik / sum_j v_j d_jk`` by section ``k``, in network order, for each
        section the buyer region's sources reach (``sum_j v_j d_jk > 0``).

    Raises:
        ValueError: no seller or no buyer firm, or an unknown receptor.
    """
    if not seller.any() or not buyer.any():
        raise ValueError("seller, buyer: each region needs a firm that emits "
                         f"{pollutant}")
    w = _response_weights(slope, seller)
    v = _response_weights(slope, buyer)
    out = {}
    for section in receptors or list(sections(graph)):
        d = source_coefficients(graph, assignment, pollutant, section, off_network)
        arriving = float(v @ d)
        if arriving > 0.0:
            out[section] = float(w @ d) / arriving
    return out


def trading_ratio_at_receptors(graph: nx.DiGraph[str], assignment: npt.NDArray[np.int64],
                               seller: npt.NDArray[np.bool_], buyer: npt.NDArray[np.bool_],
                               slope: npt.NDArray[np.float64], pollutant: str,
                               receptors: Sequence[str] = (), off_network: float = 0.0
                               ) -> float | None:
    """The smallest :func:`receptor_ratios` value: no receptor gets worse at this ratio.

    Returns:
        The ratio; 0 when a seller tonne never reaches a receptor the buyer's sources reach
        (trading that way only moves load onto them, so the direction should stay closed);
        None when the buyer's sources reach no receptor (the river cannot tell the ratio).
    """
    ratios = receptor_ratios(graph, assignment, seller, buyer, slope, pollutant, receptors,
                             off_network)
    return min(ratios.values()) if ratios else None


def _response_weights(slope: npt.NDArray[np.float64],
                      members: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """``(1 / s_i) / sum_j (1 / s_j)`` over the members, 0 for everyone else."""
    inverse = np.where(members, 1.0 / np.where(members, slope, 1.0), 0.0)
    return np.asarray(inverse / inverse.sum(), dtype=np.float64)
