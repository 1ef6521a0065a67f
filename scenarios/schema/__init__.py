"""The scenario schema: strict, frozen data, nothing else.

Unknown keys and bad values are errors naming the field. Defaults carry their source; those
marked [L] are the reference's tunable assumptions (reference/domain.md, section 9).
"""

from scenarios.schema.scenario import Scenario

__all__ = ["Scenario"]
