"""Configuration: the SLO file from bytes to resolved :class:`~slotui.core.types.SLOSpec` objects.

- ``yamlmap``: YAML with line and column for every node, hostile-input limits (depth, aliases, size);
- ``env``: ``${VAR}`` / ``${VAR:-default}`` interpolation;
- ``model``: the typed pydantic model (the JSON Schema of ``slotui schema``);
- ``durations``, ``text``: the value checks shared by the model's fields;
- ``expressions``: the small safe expression language of ``fields``/``where``/``good``;
- ``seed``: the seed's forms (``quality_slos``, LangSmith-style ``alert_rules``);
- ``resolve``: defaults, directions, burn-rate tiers and cross-references -> specs;
- ``loader``: ``load_config`` (file, located errors, warnings once);
- ``errors``: ``file:line:col: key: message`` rendering; ``secrets``: masking;
- ``locations``: where the SLO file, the state file and user config live.
"""
