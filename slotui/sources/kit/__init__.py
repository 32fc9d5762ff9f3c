"""The machinery the sources share, apart from the sources themselves.

- ``base``: the :class:`Source` protocol, its health record and the fetch timeout.
- ``runtime``: fetching every source concurrently, each bounded by its timeout.
- ``http_client``: the one httpx client (retries, auth, body caps, redaction);
  ``http_source``: the constructor every HTTP source shares.
- ``backfill``: "ask only for new slices" (:func:`~slotui.sources.kit.backfill.due`),
  the range sources' span cache and prometheus's point cache; ``QueryError`` is in ``base``.
- ``records``, ``record_values``, ``values``, ``json_path``: reading records and
  numbers out of API answers.
- ``aggregate``: the one aggregate grammar (``parse_agg``: mean, median, pNN, ...) and
  exact window aggregates; ``series_book``: the per-SLO series of records.
- ``promql``, ``prometheus_recorded``: PromQL text and reading exported recordings.

Nothing here is imported until a source needs it (``httpx`` only by
``http_client``), so ``check`` on a file or demo config stays light.
"""
