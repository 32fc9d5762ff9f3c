"""The machinery the sources share, apart from the sources themselves.

- ``base``: the :class:`Source` protocol, its health record and the fetch timeout.
- ``runtime``: fetching every source concurrently, each bounded by its timeout.
- ``http_client``: the one httpx client (retries, auth, body caps, redaction).
- ``backfill``: the cache that asks a source only for the slices it has not answered.
- ``records``, ``record_values``, ``values``, ``json_path``: reading records and
  numbers out of API answers.
- ``aggregate``, ``series_book``: the aggregate grammar and per-SLO series of records.
- ``promql``, ``prometheus_recorded``: PromQL text and reading exported recordings.

Nothing here is imported until a source needs it (``httpx`` only by
``http_client``), so ``check`` on a file or demo config stays light.
"""
