"""How long to wait, from what the backend has shown (layer 5).

The protocols' timers are the same everywhere, but what it takes labtool to *see* a change is
not: on namespaces an agent starts in a tenth of a second and answers come back in
milliseconds; on five VMs under software emulation the same agent needs seconds to start (an
SSH connection, a Python) and its answers come back slowly. A scenario's deadlines (baseline,
condition, settle, restore) are therefore its own figures stretched by the backend's measured
slowness, within an upper bound, so that a slow machine is waited for and a dead one still
fails, with a message naming what was awaited. The time bounds of the verdict are not here:
they stay the theory's (plus the backend's declared margin).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PACE_ANSWERS = 5  # the client's first answers that show how fast the backend answers
NOMINAL_START_S = 1.0  # an agent's start-up on namespaces, with room for a loaded machine
NOMINAL_ANSWERS_S = 0.5  # PACE_ANSWERS answers there (0.1 s at 50/s, plus room)
MAX_FACTOR = 10.0
MAX_EXTRA_S = 180.0  # however slow the backend, a deadline grows by this much at most
AGENT_START_MAX_S = 120.0  # an agent that has not started by then is taken for dead
FIRST_ANSWER_MAX_S = 40.0  # from its start to its first answer (a request times out at 10 s)
BASELINE_S = 10.0  # the baseline's deadline on namespaces


@dataclass
class Pace:
    """What the backend has shown before the fault, and the factor deadlines follow."""

    agent_start_s: float  # the client's agent: spawned -> its start-up line
    first_answer_s: float | None  # its requests let go -> its first answer
    # PACE_ANSWERS answers once the preconditions held (None: not within FIRST_ANSWER_MAX_S)
    answers_s: float | None
    watchers_start_s: dict[str, float] = field(default_factory=dict)  # per load balancer
    factor: float = 1.0
    deadlines: dict[str, float] = field(default_factory=dict)  # filled as they are set
    slow_s: float = 0.5  # an answer slower than this is slow on this backend (facts.SLOW_S+)
    answers_from: float = field(default=0.0, repr=False)  # when those answers were counted from

    @classmethod
    def shown(
        cls,
        agent_start_s: float,
        first_answer_s: float | None,
        answers_s: float | None,
        watchers_start_s: dict[str, float],
        answers_from: float = 0.0,
    ) -> Pace:
        ratios = [
            agent_start_s / NOMINAL_START_S,
            *(s / NOMINAL_START_S for s in watchers_start_s.values()),
            (answers_s if answers_s is not None else FIRST_ANSWER_MAX_S) / NOMINAL_ANSWERS_S,
        ]
        factor = round(min(MAX_FACTOR, max(1.0, *ratios)), 2)
        return cls(
            round(agent_start_s, 3),
            _round(first_answer_s),
            _round(answers_s),
            {k: round(v, 3) for k, v in watchers_start_s.items()},
            factor,
            answers_from=answers_from,
        )

    def deadline(self, what: str, base_s: float) -> float:
        """A deadline of `base_s` on namespaces, stretched by the factor, within the bound."""
        value = round(min(base_s * self.factor, base_s + MAX_EXTRA_S), 3)
        self.deadlines[what] = value
        return value

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found.pop("answers_from")
        return found


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
