"""The fields of the demo source's records, known without running it.

Imported by the config resolver (cheaply: nothing else is imported) so that
``slotui validate`` can reject a field the demo does not have, naming the ones
it has, and resolve the seed's ``helpfulness_score`` to the evaluation
``evaluations.helpfulness``.
"""

from __future__ import annotations

#: online-evaluation scores on every demo record (``evaluations.<name>``)
EVALUATIONS = ("helpfulness", "accuracy")

#: every field of a demo record (SPEC section 8), dotted names as the expressions read them
FIELDS: frozenset[str] = frozenset(
    {
        "time",
        "trace_id",
        "service.name",
        "gen_ai.request.model",
        "route",
        "prompt.version",
        "duration_ms",
        "duration_s",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.cost",
        "error.type",
        "evaluations",
        *(f"evaluations.{name}" for name in EVALUATIONS),
    }
)
