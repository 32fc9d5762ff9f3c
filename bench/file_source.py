"""Bench: the file source against DuckDB on the same request log and the same question.

    python bench/file_source.py [--records 1000000] [--file PATH] [--keep]

The question (the example SLIs): p95 latency in ms (a derived field,
``duration_s * 1000``), mean helpfulness (``evaluations.helpfulness``), the
success ratio (``error.type == null``) and mean cost (``gen_ai.usage.cost``),
each over the 1h, 6h and 3d windows ending at ``now`` and per 5-minute slice
over a 3-day period. ``now`` is one minute after the last record, not on a
slice boundary.

slotui: a fresh :class:`~slotui.sources.file.FileSource` reads the whole file
and answers (first fetch). DuckDB: ``read_ndjson_auto`` of the same file into a
table, then one query per SLI for the slices and one per window, answering
the same numbers (``quantile_cont`` is the same quantile definition). The
answers are compared (relative tolerance 1e-9), then records/s of both and
the ratio are printed.

Breakdown cost (SPEC 10.1): the same SLOs with ``breakdown: [gen_ai.request.model]``
read the same file (fetch + evaluate: a first tick) and, after 1% more lines, fetch
again (a steady tick); the ratio with/without breakdown is printed for both (the
issue's bar: below 2). ``--breakdown-only`` runs just that part. Best of 3 at
1M records on a loaded 2-core machine (load average 1.3-1.9), measured back to
back: first tick 1.57x and steady tick 1.39x before the label groups took
batches (one ``array.extend`` per run of records in a slice, codes by list
comprehension, ratio counts with ``Counter``), 1.35x and 1.70x after (the
grouped first tick 11.05 s -> 8.87 s; the grouped steady tick stayed at
230-270 ms, 1.7-2.4x over runs). This bench's steady tick breaks down a 3d
window for the first time (the fastest-burning tier changes after the
append), which counted every slice of it; with each ratio slice's counts
kept up to date as records are added, two runs gave first tick 1.28x and
1.30x, steady tick 1.41x and 1.31x (grouped 173 and 168 ms). The columnar
first read (DuckDB chunks) did not keep those counts, so that steady tick
recounted 843 slices (76 ms in Counter) and measured 1.73x, 1.88x, 2.20x and
2.47x over four runs on 2026-12-05; with the columnar path keeping them too
(numpy bincount per slice run) and a mean's exact sum divided by integer
division instead of Fraction, two runs gave steady tick 1.16x and 1.30x
(grouped 176 and 182 ms), first tick 1.12x and 1.07x.

Then 1% more lines are appended and slotui's next fetch (incremental: it
reads only the new bytes) is timed against a full rescan by a fresh source.

The same question is then asked of a CSV and a Parquet copy of the log (the
question's five columns; slotui with ``format: csv`` / ``parquet``, DuckDB with
``read_csv`` / ``read_parquet``). Each side runs in a forked child, so its peak
RSS is its own (printed with what the bench process itself holds).

Then 1% more records are appended (to scratch copies: the log given with
``--file`` is never grown) and slotui's next fetch (incremental: it reads only
the new bytes; Parquet is re-read whole) is timed against a full rescan.

Where the first read's time goes, and what was tried (issue 13 part 4). Record
by record (orjson, a dict per line, every SLI over it) the first read was 6.5x
DuckDB's CPU at 1M records: orjson parsing alone is ~1.7x DuckDB's whole answer.
msgspec ``Decoder.decode_lines`` into a Struct of the needed fields was 1.3x faster
than orjson only; a batch path into the series gained nothing while expressions
were Python functions per record; ``polars.read_ndjson`` with an explicit schema
took 7.6 s wall for the 1M file (slower than the per-record path).

Then (slotui.sources.kit.columnar, pyarrow): the first read of a JSONL log of 16
MB and more read 8 MB of complete lines at a time by pyarrow's JSON reader (only
the columns the SLIs read, typed strictly), times/derived fields/conditions/
breakdown labels as vector operations appended to the same slices, the next
chunk parsed in a worker thread while one goes into the series, and a chunk with
anything the per-record path treats specially read record by record (answers
identical: tests/unit/test_file_columnar.py). Parquet batches and CSV rows after
the header (pyarrow.csv, cells as text) use the same plan. That gave JSONL
4.5-4.6x wall / 3.9-4.1x CPU; pyarrow's parse was ~1.9 s CPU of it: it tokenizes
every field of every line (DuckDB's reader skips what the query does not read).

Now (``FileSource.bulk``; ``--no-duckdb`` turns it off for a comparison): DuckDB
reads the JSONL first read: one ``read_json`` query with an explicit schema of
the needed fields over the whole file (projection pushdown), values whose type
the per-record path would read otherwise flagged per row, the time as text (then
converted from its bytes by numpy as the per-record path does: the minute's epoch
second plus ``SSfff / 10**k``, the same double as ``float("SS.fff")``; see below).
Then chunk by chunk the bytes are checked for what yyjson reads and the
per-record parsers refuse (``nan``/``inf`` literals in any case, trailing commas:
a suspect byte before a delimiter, confirmed by the per-record parser on that
line; blank lines, which DuckDB skips, end the matching of rows to lines) and the
rows go into the series through the same plan; a DuckDB failure (a malformed
line anywhere, a half-written last line) leaves the file to pyarrow's reader.
Every columnar test runs with both readers, plus 23 hostile lines aimed at
DuckDB's reader. Running the byte checks beside DuckDB's query slowed the query
more than the checks took (2 cores, loaded): they run after it, in the worker
thread while the previous chunk goes into the series. The answers were made
cheaper too (a slice's moments reuse its cached sum, deviations by ``map``,
slices of 64+ values sorted by numpy with a stable sort: the same results), and
pyarrow arrays reach numpy from their buffers (``to_numpy`` imported pandas, 0.3-0.4 s).

Measured at 1M records, best of 2, two runs of the whole bench with the final
code (load average 1.7-1.9 from other work on the 2-core machine; DuckDB in the
same run), slotui/DuckDB: JSONL 2.36-3.14x wall, 2.73-2.82x CPU (1.47-1.99 s vs
0.47-0.84 s; 502,000-681,000 records/s; peak RSS 425-426 MB vs 359-375 MB:
DuckDB's buffers and its answer); CSV 2.10-3.56x wall, 2.43-2.80x CPU (0.80-0.93
s; 1.07-1.25M records/s; 309-321 MB vs 322-334 MB); Parquet 2.76-2.79x wall,
2.60-2.77x CPU (0.60-0.72 s; 1.38-1.68M records/s; 271-272 MB vs 296-299 MB). With
``--no-duckdb`` (pyarrow's reader) in the same sessions: JSONL 2.50-2.69 s,
4.0-5.4x wall / 3.8-4.2x CPU. Appends are read record by record as before: JSONL
1% in 119-163 ms (159-231 ms before), CSV 95-97 ms. The breakdown first tick (no
fork, modules loaded) went from 1.9-2.7 s to 1.4-2.1 s.

The 1.5x goal is still missed (~3x). Where the JSONL time goes now (the phases
timed apart): DuckDB's query ~0.55-0.8 s wall / 1.1-1.4 s CPU, more than the
bench's whole DuckDB answer, because it must keep what the per-record path would
refuse visible -- numbers and evaluation items read as JSON text to check their
type (~0.1 s CPU over typed columns), the time checked and converted exactly
(regex, strptime, cast: ~0.15 s CPU); the byte checks ~0.33 s CPU (numpy over
473 MB: newlines, line starts, suspect delimiters) and the rows into the series
~0.15 s, partly overlapped in the worker thread; the answers ~0.27 s
(``math.fsum`` per slice for exact sums, the moments for SPEC 10.2's intervals,
per-slice sorts); numpy/pyarrow/duckdb imports ~0.35 s when not loaded yet (the
bench's children inherit numpy and pyarrow from the parent; DuckDB's side pays
its own import). Reaching 1.5x would need the answer stage exact but vectorised
(an exact integer sum per slice instead of ``fsum``), the type and time checks
cheaper than SQL per row, and the byte checks done by a strict validator as fast
as yyjson; none of them is a small step.

The time check moved out of SQL (2026-12-06): DuckDB returns the time as text and
``columnar._fixed_width_times`` reads the fixed-width RFC 3339 form from the string
bytes (digits and punctuation checked against a template row, the date arithmetic
once per run of rows in the same minute; any other form goes to the regex path).
DuckDB's query alone went from 1.32 to 1.00 s CPU, the conversion costs ~0.07 s
for 1M sorted times; the whole first read from 2.65-2.68 to 2.26-2.43 s CPU
(three runs each, back to back, on a machine loaded by other work: load 4-6).
On a quiet machine (load 0.15-1.2), two runs of the bench: 3.07-3.29x wall, 2.85-3.05x
CPU (slotui 1.62-1.65 s against DuckDB 0.49-0.54 s; 3.43-3.58x / 3.28-3.42x before).

Tried on 2026-12-06 and not kept (the 2-core machine is CPU-bound during the whole
read, so only less CPU helps, not moving work between threads):

- A typed query (numbers as DOUBLE, labels, conditions and evaluation names as
  VARCHAR: 0.34 s wall / 0.67 s CPU instead of 0.58-0.65 s / 1.26 s). DuckDB then
  converts what the per-record path skips (``"1.5"`` and ``true`` as numbers, ``5`` as
  a label ``"5"``, ``-0`` as 0, a key spelled ``dur\u0061tion_s``), so every chunk's
  bytes must show each needed key's value of its JSON type. The cheapest exact check
  found (every colon, whitespace skipped, the key before it matched, the value's
  first bytes) costs 9-35 ms per 8 MB chunk against the ~10 ms of CPU per chunk the
  typed query saves: the whole first read went from 1.74-1.90 s to 2.88-3.09 s with
  the first version of the check, and would at best break even.
- Each chunk read by a worker thread (the chunk's end found in its last 64 KB by the
  main thread): the same wall time within noise (best of 5: 1.86 s against 1.88 s).

Kept: the columnar reads build their Arrow values from buffers (``pa.scalar``,
``fill_null(-1)`` and ``pc.equal(col, "")`` had pyarrow import pandas, ~0.3 s, on the
first breakdown label, CSV chunk or evaluation name; the bench's forked children
inherited pandas from the parent, so the figures here did not show it). One run,
best of 3 (load 0.6): JSONL 2.61x wall / 2.42x CPU (slotui 1.54 s, DuckDB 0.59 s,
648k records/s, peak RSS 503 MB against 376 MB), CSV 3.16x / 2.60x (0.94 s against
0.30 s), Parquet 2.06x / 1.90x (0.83 s against 0.40 s); append 161 ms (12x faster than
a rescan); breakdown first tick 1.18x, steady tick 1.24x. The answer stage (exact sums,
moments, window quantiles over 864 slices: ~0.35 s) is now a third of the Parquet read.

Kept too: DuckDB reads the evaluation names as text (VARCHAR) unless a needed name could be
the text of a non-string (``5``, ``true``, ``NaN``): the strict query alone took 0.49-0.53 s
instead of 0.59-0.65 s (the same session, best of 3, twice), the first read 1.61-2.08 s
instead of 1.68-1.88 s over four back-to-back pairs (noisy: DuckDB's own answer varied
0.54-0.85 s over the session). One run, best of 3: JSONL 2.67x wall / 2.51x CPU (slotui 1.45 s,
DuckDB 0.54 s, 689k records/s, peak RSS 390 MB against 233 MB); append 139 ms (11x);
breakdown first tick 1.23x, steady tick 1.30x. Computing each number's text and double once
in an inner query instead of twice: within noise (0.50-0.57 s against 0.53-0.59 s).

2026-12-07. The answer stage summed every slice three times with ``math.fsum`` over Python floats
(its exact sum, that sum's tail, and the sum of squares behind SPEC 10.2's spread): 0.41 s of the
JSONL read (best of 5, caches cleared). Those sums are now integers in int64 limbs
(``core.sums.array_sum_terms_batch``: each run scaled by a power of two to exact integers, split
into 32-bit limbs, added by ``np.add.reduceat``; the same floats as fsum's, bit for bit, or it
declines and fsum tells), for every slice of a series in one pass (``ValueSeries.prime``): 0.19 s.
The DuckDB rows of a chunk now become columns in the worker thread that checks its bytes
(``file._bulk_chunk``): within noise, the machine being CPU-bound. Tried and not kept: streaming
DuckDB's answer (``to_arrow_reader``) to overlap its query with the ingest -- DuckDB's Python
result is pulled, its query does not run ahead of the consumer (a consumer busy 15 ms per batch
added its whole time to the read); a typed query (numbers as DOUBLE: DuckDB's CPU 1.3-1.45 s ->
1.0 s) needs each numeric key's JSON type checked from the bytes, 5-8 ms per 8 MB chunk with
regexes, ~3 ms with numpy: a net gain of ~0.1 s at best. End of session, best of 3, load 0.0: JSONL 2.26x wall / 2.14x CPU
(slotui 1.20 s against DuckDB 0.53 s, 835k records/s, peak RSS 500 MB against 357 MB), CSV 2.57x /
2.09x (0.72 s against 0.28 s), Parquet 1.89x / 1.75x (0.50 s against 0.27 s); an earlier run of the
session 2.34x, 2.60x and 1.80x. Append 159 ms (8x faster than a rescan); breakdown first tick
1.31x, steady tick 1.30x. The goal, 1.5x, is still missed for every format.

2026-12-07, a later stop (no read-path change; load 0.07, best of 3): JSONL 2.37x wall / 2.22x CPU
(1.32 s against 0.56 s, 759k records/s), CSV 2.54x / 2.11x, Parquet 1.81x / 1.68x; append 163 ms;
breakdown first tick 1.20x, steady 1.28x. Where the JSONL read's wall time went, phase by phase:
DuckDB's strict query 0.65-0.77 s (a two-column query of the same file alone: 0.36-0.42 s; the
refusal-flag expression 0.10-0.15 s of it); the chunk phase ~0.5 s (per 8 MB chunk: byte checks 6.7 ms,
rows to columns 3 ms, the series 2 ms, on two worker threads of a CPU-bound 2-core machine); the answers
0.27 s (the 3-day window's p95 97 ms in the bisection over 864 sorted runs; the first p95 and mean
answers 73 and 60 ms priming sums and sorts). msgspec ``decode_lines`` into a Struct of the needed
fields (gc off): 1.0 s CPU on one core, no better than DuckDB's query. The candidates left (the flags
out of SQL into numpy, ~-0.1 s; a numpy selection for large window quantiles, ~-0.08 s; cheaper byte
checks) add up to ~1.7x at best here: not tried this stop.

2026-12-07, the next stop. Window quantiles and SPEC 10.2's order-statistic intervals by a numpy
selection (``np.partition`` at the ranks, over the window's unsorted slices: the answers 0.22 -> 0.13 s);
the byte checks in two workers with reused buffers (a fresh 8 MB buffer per chunk cost page faults:
0.55 -> 0.2 s CPU) while DuckDB is imported; the chunk ends found from the last 64 KB of each chunk; the
rows of a chunk made columns a few chunks ahead. Then: a columnar first read parses two chunks ahead
in two workers (the CSV main thread waited 0.43 s of 0.9 s on one); a chunk's slice keys (Python's float
floor division, ~15 ns a value in numpy) computed once per slice length for all its series, not once
per series; the CSV number and padding checks from the cells' bytes (numpy) instead of RE2 per cell (34
of 78 ms per 8 MB chunk; RE2 still tells when the bytes are not plain unsigned numbers); the exact-sum
limbs scaled with int32 exponents (numpy's ``ldexp`` took a slow casting path with int64 ones).
Measured and not kept: each CSV chunk read by the worker that parses it (``os.pread`` at bounds found
first, no copy joining the carried line): 0.531 s against 0.528 s (medians of 8 interleaved pairs);
2 MB chunks for the columnar reads: slower (0.631 s against 0.560 s). DuckDB query variants, each the
best of 3 on this file: today's strict query 0.49-0.54 s wall / 0.95-1.05 s CPU; ``json_type`` for the
type flags instead of the text's first byte: 0.56 s; every column typed (numbers as DOUBLE: DuckDB then
casts ``"1.5"`` and ``true``) 0.38 s; only the question's five columns typed 0.33 s. End of stop, best of
3 (load 0.24): JSONL **1.84x wall / 1.82x CPU** (slotui 0.96 s against DuckDB 0.52 s, 1.04M records/s,
peak RSS 509 MB against 370 MB), CSV 1.57x / 1.59x (0.43 s against 0.28 s), Parquet 1.32x / 1.23x (0.34
s against 0.26 s); append 101 ms (9x faster than a rescan); breakdown first tick 1.20x, steady tick
1.32x. JSONL is 0.18 s from the 1.5x goal: DuckDB's strict query alone is ~0.5 s of the 0.96 s, and a
typed query (-0.15 s) needs each needed key's JSON type checked from the bytes, which cost as much as
it saves in every form tried (regexes, numpy over the colons).

Then DuckDB's answer pulled as it comes (``to_arrow_reader``, 16,384 rows a batch, its query running
ahead up to ``streaming_buffer_size`` 512 MB) and each chunk taken when its rows came: the same time on
this file (1.04-1.09 s against 1.07-1.08 s, three interleaved pairs: the 2-core machine is CPU-bound,
overlap cannot help), but a failing query no longer throws away the rows before the failure. A 200 MB
log ending in a half-written line (a log being written when the TUI opens) was read whole by pyarrow's
reader in 1.11 s; now 22 of its 24 chunks are DuckDB's rows: 0.61 s. The whole bench after it (best of 3,
load 0.85): JSONL 1.84x wall / 1.86x CPU (0.99 s against 0.53 s; peak RSS 448 MB, from 509 MB: DuckDB's
answer is no longer held whole), CSV 1.59x / 1.51x, Parquet 1.33x / 1.25x; append 105 ms.

2026-12-07, a later session: page faults. A fresh page costs ~3 us on this VM (400 MB touched once: 102,400
faults, 0.30 s); the JSONL first read made 88-96k minor faults against DuckDB's 38-41k, 21k of them in the
answers, which summed each series' 856k values in one batch (a dozen fresh 7 MB temporaries, cold in the
cache: 12-57 ms a batch against 4-9 ms when warm). ``ValueSeries.prime`` now sums whole slices in blocks of 32k
values: the answers' faults 21k -> 2.5k; interleaved pairs (8 each, forked children, medians): JSONL 1.09 ->
0.94 s, Parquet 0.55 -> 0.43 s. The CSV number check left to Arrow's cast what the cast refuses anyway (two dots
or exponents in a cell, an ``e`` before the dot, a sign not after the ``e``), dropping 4 MB of int32 cell ids per
column per chunk: CSV 0.49 -> 0.42 s (10 pairs). Measured and not kept (interleaved pairs, within noise): the
byte checks of the later chunks beside DuckDB's query (the query started as soon as DuckDB was imported); glibc
``mallopt`` keeping freed memory (a trim threshold alone turned the dynamic mmap threshold off: 118k faults);
``streaming_buffer_size`` 32 MB; 4,096-row batches; pyarrow's CSV parse on one thread (the two workers already
parallelise chunks); DuckDB on one thread (CPU 1.44 -> 1.35 s but wall 0.84 -> 1.19 s); the evaluation items
checked in SQL instead of on the JSON texts (0.73 -> 0.75 s CPU for the query alone). End of session, best of 3,
two runs (load 1.0-1.2): JSONL **1.63-1.71x wall** / 1.69-1.78x CPU (slotui 0.75-0.79 s against DuckDB 0.44-0.49
s, 1.26-1.33M records/s, peak RSS 430-445 MB against 374-390 MB), CSV **1.29-1.38x** / 1.37-1.38x (0.30-0.35 s
against 0.23-0.25 s), Parquet **1.04-1.05x** / 0.96-0.98x; append 81-101 ms (7-9x faster than a rescan);
breakdown first tick 1.14-1.24x, steady 1.35-1.49x. JSONL is the one format still above 1.5x: its whole read
uses ~1.3 s of CPU against DuckDB's ~0.75 s (DuckDB's strict query alone ~0.73 s, the byte checks ~0.3 s, the
DuckDB rows into columns and series ~0.15 s, the answers ~0.07 s).

2026-12-07, the next session, on a slower and noisier machine (the same DuckDB answer took 0.55-0.64 s; this
script's first runs at the session's start gave JSONL 1.77-2.07x: slotui 1.13-1.43 s). Kept, each measured as
interleaved pairs of forked children: DuckDB's strict query computes each needed value's JSON text and double
once, in subqueries, and tells a text's JSON type by comparing it bytewise with its first byte's range (not
``left``/``strpos``, which are Unicode-aware): the query alone ~10% less CPU, the read 1.38 -> 1.30 s (12 pairs,
loaded); a bulk worker checks a chunk in pieces of complete lines of at most 4 MB, each read into its buffer
and scanned from the cache (a whole 8 MB chunk's passes read memory): 1.05 -> 0.98 s, 69k -> 63k page faults
(2 MB the same, 1 MB slower); this script byte-compiles slotui first (the editable install under this
machine's PYTHONDONTWRITEBYTECODE compiled the columnar module, 12-20 ms, in every measured child). Where the
JSONL read's time goes now: with DuckDB's rows served from memory instead of its query, the read took 0.58 s
wall / 0.82 s CPU against 1.13 s / 1.97 s, so the query costs 0.55 s wall and 1.15 s CPU inside the read (0.95
s CPU alone); of the rest, the byte checks hold the query back 0.25-0.3 s (0.35-0.45 s CPU: ``np.flatnonzero``
holds the GIL, and every pass over 8 MB read memory), the rows into columns and series ~0.25 s CPU, the answers
~0.1 s on one core. Measured and not kept: a typed query (numbers and evaluation scores as DOUBLE: 25-34% less CPU
alone) with each needed numeric key's values checked in the bytes by RE2 (``duration_s"\s*:\s*`` then a byte
that starts no number: ~1-2.4 ms per key per 8 MB chunk) -- the read took the same time (1.14 s against 1.10 s):
the scans cost what the query saves; the evaluation items checked in SQL instead of their list shipped (-1.5% of
the query); ``maximum_object_size`` 2, 8 or 64 MB; the query started before the checks end; a 1 ms or 0.2 ms
switch interval; glibc's mmap and trim thresholds (``mallopt``, or an 8 MB array freed first to raise the
dynamic one); the answers' series primed on two threads (their per-slice Python holds the GIL);
``pyarrow.compute``'s import (50 ms) kept out of the check workers; ``json_transform`` over Arrow arrays of the
lines the checks read (the file read once, old lines left out): the same CPU as ``read_json``; polars'
``read_ndjson`` with a schema: 0.6 s for three columns, 3.5 s with the evaluations.

Found then, and fixed in this script: the measured children did not all start alike. Each forks from this
process, and this process wrote the CSV and Parquet copies itself, which imported numpy, pyarrow,
``pyarrow.compute`` and ``pyarrow.parquet`` and left the heap of a million freed rows behind. So with the copies
(the whole bench) the children inherited those imports, and in a JSONL-only run (``--formats jsonl``) they paid
them: the figures above said the children "inherit numpy and pyarrow", which held only for whole runs, and
with ``pyarrow.compute`` and ``pyarrow.parquet`` too. The copies are now written in a child, and every measured
child pays its own imports, as a first read in a fresh process does (the TUI's, ``slotui run``'s), and as
DuckDB's side always paid ``import duckdb`` (~0.09 s): numpy ~0.06-0.12 s, pyarrow ~0.04-0.06 s,
``pyarrow.compute`` ~0.05 s, ``pyarrow.parquet`` ~0.02 s on this machine. The same Parquet read took 0.31-0.33 s
with numpy and pyarrow imported first and 0.43-0.53 s without. End of session, best of 3, two runs of the whole
bench (load 0.9-1.3), every child paying its imports: JSONL **1.73-1.88x wall** / 1.78-1.99x CPU (slotui
1.16-1.17 s against DuckDB 0.62-0.67 s, 853-865k records/s, peak RSS 282-285 MB against 207-227 MB), CSV
**1.71-1.80x** / 1.85-1.86x (0.56-0.61 s against 0.32-0.34 s), Parquet **1.67-1.73x** / 1.81-1.86x (0.48-0.66
s against 0.29-0.38 s); append 112-167 ms (7-8x faster than a rescan); breakdown first tick 1.07-1.10x, steady
1.39-1.40x. Two runs just before, with the copies' imports inherited (as the figures of the earlier stops
were measured): JSONL 1.64-1.71x (0.92-0.97 s against 0.56 s), CSV 1.32-1.49x, Parquet 1.11x.

Then the columnar reads stopped importing ``pyarrow.compute`` (~50 ms): the kernels they use are called by name
through ``pyarrow._compute`` (``slotui.sources.kit.arrow_compute``), and pyarrow's conveniences that import it
(``Array.cast``, ``is_valid``, ``is_null``) are not used there. Three runs of the whole bench after it, best of 3
each, every child paying its imports, on a machine whose noise grew over the hour (DuckDB's JSONL answer 0.58-0.72
s, its CSV answer 0.31-0.43 s): JSONL **1.51-1.88x wall** / 1.67-1.94x CPU (slotui 1.08-1.33 s), CSV 1.37-2.02x
(0.52-0.62 s), Parquet 1.53-1.76x (0.47-0.57 s against 0.30-0.35 s); append 117-157 ms (7-10x faster than a
rescan); breakdown first tick 1.11-1.29x, steady 1.31-1.88x. Left: with its imports (numpy, pyarrow, and DuckDB
itself for JSONL: ~0.15-0.25 s of a ~0.5-1.1 s read) every format's first read stays above 1.5x on this machine.

2026-12-07, the session after (load 0.5-1.1; DuckDB's answers 0.63-0.68 s JSONL, 0.31-0.33 s CSV, 0.29-0.31 s
Parquet). Kept, each measured as interleaved runs of fresh processes: Parquet batches are decoded and made columns
in a worker thread up to two batches ahead of the one going into the series (the decode, the time and type checks
and the ingest were serial on one core: 0.43 -> 0.38 s, medians of 5); the fixed-width times find a minute's runs
by comparing each row's first 16 bytes as two 8-byte words (``any(axis=1)`` over the bytes: 36 ms per 1M rows, now
2.5 ms) and add the seconds' digits in int32 (80 -> 40 ms per 1M times, every format); a series' whole-slice
quantiles are sorted at once as the rows of one padded array (864 slices: ~55 ms of per-slice selections, now
~9 ms) and a window's selection partitions its concatenation in place; the CSV number cells' bytes are classed by
a digit comparison and the table only for the other bytes (5 -> 3 ms per column per 8 MB chunk). Four runs of the
whole bench with these, best of 3 each: JSONL **1.73-1.82x wall** / 1.80-1.90x CPU (slotui 1.11-1.20 s, 832-903k
records/s, peak RSS 280-295 MB against 225-227 MB), CSV **1.66-1.76x** / 1.79-1.86x (0.52-0.56 s against 0.31-0.33
s), Parquet **1.36-1.43x** / 1.67-1.78x (0.41-0.43 s against 0.29-0.31 s: within the goal); append 95-99 ms
(JSONL, 10x faster than a rescan); breakdown first tick 1.21-1.23x, steady 1.41-1.49x.

Measured and not kept: the byte checks started before pyarrow and DuckDB are imported (RE2 from ``google-re2``
instead of pyarrow's, so the workers need numpy only): 1.131 s against 1.113 s, medians of 8 interleaved pairs
(the imports slowed as much as the checks gained); CSV's first two chunks a quarter of a chunk (the series start
sooner): 0.540 s against 0.552 s, within noise; pyarrow's CSV parse on one thread in each worker: no difference
over 8 pairs; DuckDB with one thread more than the cores (so two of its threads read while this thread takes
rows into the series): 1.153 s against 1.126 s (8 pairs); ``records = true`` or ``compression = 'none'`` in the
query: the same CPU. Where the JSONL read's CPU goes now (~2.0 s against DuckDB's 1.1
s): DuckDB's strict query ~1.0 s, the same as the bench's whole DuckDB answer -- reading the evaluations' list of
structs is ~0.16-0.23 s of it (its ``list_filter`` ~0.05), the shadow keys ~0.05, ``trace_id`` ~0.03, a
two-column scan of the file alone 0.5 s; the byte checks ~0.3 s; numpy, pyarrow and DuckDB's imports ~0.2 s; the
rows into columns and series ~0.25 s; the answers ~0.06 s. The 2-core machine is CPU-bound through the whole read,
so only less CPU helps, and no single stage left holds the ~0.45 s the 1.5x goal needs. CSV (0.85 s of CPU
against 0.47 s): per 8 MB chunk, pyarrow's parse 16 ms and the cell checks and conversions ~46 ms (the number
cells' form 11 ms, the casts and value checks 10 ms, the times 7 ms).

2026-12-07, the last session (load 0.1-0.7). ``perf record`` of a JSONL first read showed OpenBLAS's
``blas_thread_server`` at 4.3% of the samples: numpy's bundled OpenBLAS starts a thread per core when numpy
loads, and each spins (``sched_yield``) ~2**28 cycles before it sleeps. slotui does no linear algebra, so the
``slotui`` command (and this script, as the command does) sets ``OPENBLAS_NUM_THREADS=1`` unless the
environment sets it (``slotui.blas_threads``): the JSONL read's CPU 1.71-1.84 -> 1.58-1.59 s (three pairs of
fresh processes), and the short reads gained most -- two runs of the whole bench after it, best of 3: JSONL
**1.66-1.70x wall** / 1.68-1.73x CPU (slotui 0.98-1.01 s against 0.58-0.61 s), CSV **1.48-1.62x** / 1.45-1.51x
(0.42-0.44 s against 0.27-0.28 s), Parquet **1.12-1.18x** / 1.19-1.24x (0.29-0.30 s against 0.25-0.27 s); append
85-88 ms; breakdown first tick 1.19x, steady 1.25-1.36x. Found on the way: a columnar read of a log without
``trace_id`` kept every chunk's columns for the join memory and at its end re-read and split every line it took
(300k lines: 1.04 s instead of 0.46 s, 374 MB instead of 247 MB); it now keeps the traced lines only.
Then the columnar reads' Arrow memory from pyarrow's jemalloc pool (``slotui.sources.kit.arrow_pool``):
with mimalloc, pyarrow's default, ``clear_page`` was the largest symbol of the CSV read's pyarrow threads and
a fifth of its CPU was the kernel's (freed pages given back, every chunk faulting in zeroed ones). CSV first
read, medians of 14 interleaved fresh processes: 0.462 -> 0.443 s wall, 0.687 -> 0.645 s CPU (the process's
default pool switched instead: the same); Parquet and JSONL unchanged within noise (their big buffers are
the Parquet reader's and DuckDB's). One run of the whole bench after it (a slower hour: DuckDB's JSONL answer
0.60 s): JSONL 1.76x, CSV 1.48x (peak RSS 299 MB, 335-356 MB before), Parquet 1.22x.

What stands between JSONL and 1.5x, measured: the same read with the byte checks' verdicts served from a
cache took 0.833 s (median of 6, 1.40 s CPU) against 0.997 s (1.69 s CPU) -- 1.43x DuckDB. The checks cost
~0.28 s of CPU per 1M lines (per 4 MB piece: ``preadv`` 0.4 ms, the newline comparison 0.2 ms, their positions
0.5 ms, two RE2 counts 0.3 ms); the other forms of them costed from their parts' timings cost as much (counts
without positions plus RE2 for the line starts and a 500-byte-block test for long lines: ~1.6 ms a piece), and no
DuckDB option removes the need (it skips blank lines, reads no byte range of a file, and reads an explicit
``null`` as absent). Measured and not kept: the query started before the checks end (medians of 8 pairs:
1.031 s against 1.026 s); DuckDB reading a file-like object from the first fresh line (needs fsspec, ~70 ms to
import, and DuckDB read the object in one 473 MB ``read``: 149k page faults); DuckDB's CSV reader splitting the
file into lines (0.38-0.45 s of CPU, more than the checks); the time taken from the line starts instead of
DuckDB's column (the query ~0.02 s cheaper, the conversion the same); the CSV newline masks reused per
thread (more faults in a 6-chunk read, the same time over 12 pairs); the answers and imports are serial (~0.08
and ~0.1 s) and GC took one 8 ms collection.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_requests import _last_time, generate  # noqa: E402

from slotui import blas_threads, gc_policy  # noqa: E402
from slotui.config.model import FileSourceConfig  # noqa: E402
from slotui.core.types import SLOSpec  # noqa: E402
from slotui.sources.file import FileSource  # noqa: E402

SLICE = 300.0
PERIOD = 3 * 86400.0
WINDOWS = (3600.0, 6 * 3600.0, 3 * 86400.0)
START = datetime(2026, 6, 1, tzinfo=timezone.utc).timestamp()


def specs() -> list[SLOSpec]:
    out = []
    for w in WINDOWS:
        kw = dict(window=w, period=PERIOD, slice=SLICE, source="logs")
        out += [
            SLOSpec(name=f"p95_ms/{w:g}", kind="threshold", target=2000, direction="lower_is_better",
                    sli_field="duration_ms", sli_agg="p95", **kw),
            SLOSpec(name=f"helpfulness/{w:g}", kind="threshold", target=0.85, direction="higher_is_better",
                    sli_field="evaluations.helpfulness", sli_agg="mean", **kw),
            SLOSpec(name=f"success/{w:g}", kind="ratio", target=0.995, direction="higher_is_better",
                    good="error.type == null", **kw),
            SLOSpec(name=f"cost/{w:g}", kind="threshold", target=0.05, direction="lower_is_better",
                    sli_field="gen_ai.usage.cost", sli_agg="mean", **kw),
        ]
    return out


#: False (--no-duckdb): the first read of JSONL is pyarrow's columnar reader, not DuckDB's (to compare)
BULK = True


def source(path: Path) -> FileSource:
    cfg = FileSourceConfig(type="file", path=str(path), fields={"duration_ms": "duration_s * 1000"})
    src = FileSource("logs", cfg, base_dir=path.parent)
    src.bulk = BULK
    return src


def breakdown_cost(path: Path, records: int, repeat: int) -> tuple[float, float]:
    """(first tick ratio, steady tick ratio): wall time with breakdown by model / without."""
    from dataclasses import replace

    from slotui.core.evaluate import evaluate_all

    base = specs()
    grouped = [replace(s, breakdown=("gen_ai.request.model",)) for s in base]
    last = _last_time(path)
    assert last is not None
    now = math.floor(last / 60) * 60 + 60 + 17.5
    times: dict[str, list[float]] = {"plain": [], "grouped": [], "plain+": [], "grouped+": []}
    tmp = Path(tempfile.mkdtemp(prefix="slotui-bench-bd-"))
    for i in range(repeat):
        for label, slos in (("plain", base), ("grouped", grouped)):
            copy = tmp / f"{label}-{i}.jsonl"
            shutil.copyfile(path, copy)
            src = source(copy)
            gc.collect()
            t0 = time.perf_counter()
            report = evaluate_all(slos, src.fetch_sync(slos, now), now)
            times[label].append(time.perf_counter() - t0)
            if label == "grouped":
                assert all(r.breakdowns for r in report.results)
            generate(copy, max(1, records // 100), last, 3.3, seed=2, append=True)
            last2 = _last_time(copy)
            assert last2 is not None
            now2 = math.floor(last2 / 60) * 60 + 60 + 17.5
            t0 = time.perf_counter()
            evaluate_all(slos, src.fetch_sync(slos, now2), now2)
            times[label + "+"].append(time.perf_counter() - t0)
            copy.unlink()
    shutil.rmtree(tmp, ignore_errors=True)
    first = min(times["grouped"]) / min(times["plain"])
    steady = min(times["grouped+"]) / min(times["plain+"])
    print(f"breakdown by gen_ai.request.model ({len(base)} SLOs): first tick {min(times['plain']):.2f} s -> "
          f"{min(times['grouped']):.2f} s (ratio {first:.2f}); steady tick after 1% more lines "
          f"{min(times['plain+']) * 1000:.0f} ms -> {min(times['grouped+']) * 1000:.0f} ms (ratio {steady:.2f}); "
          f"bar: below 2")
    return first, steady


def slotui_answers(src: FileSource, now: float) -> dict:
    data = src.fetch_sync(specs(), now)
    answers = {}
    for name, d in data.items():
        sli, w = name.split("/")
        if d.buckets:
            answers[(sli, "window", w)] = d.windows[float(w)]
            if w == f"{WINDOWS[0]:g}":
                answers[(sli, "slices")] = [(t, g, n) for t, g, n in d.buckets]
        else:
            answers[(sli, "window", w)] = d.value
            if w == f"{WINDOWS[0]:g}":
                answers[(sli, "slices")] = list(d.slices)
    return answers


SLI_SQL = {
    "p95_ms": "quantile_cont(duration_s * 1000, 0.95)",
    "helpfulness": "avg(helpfulness)",
    "cost": 'avg("gen_ai.usage.cost")',
}

#: the flat columns of the CSV and Parquet copies of the log (the fields the question reads)
FLAT = ("time", "duration_s", "gen_ai.usage.cost", "error.type", "evaluations.helpfulness")

#: DuckDB's table of the question's columns, per format
DUCK_TABLE = {
    "jsonl": """SELECT epoch(CAST("time" AS TIMESTAMPTZ)) AS t, duration_s, "gen_ai.usage.cost", "error.type" IS NULL AS ok,
                list_filter(evaluations, lambda e: e."gen_ai.evaluation.name" = 'helpfulness')[1]."gen_ai.evaluation.score.value"
                    AS helpfulness
                FROM read_ndjson_auto('{path}')""",
    "csv": """SELECT epoch(CAST("time" AS TIMESTAMPTZ)) AS t, duration_s, "gen_ai.usage.cost", "error.type" IS NULL AS ok,
              "evaluations.helpfulness" AS helpfulness FROM read_csv('{path}', header = true, all_varchar = false)""",
    "parquet": """SELECT epoch(CAST("time" AS TIMESTAMPTZ)) AS t, duration_s, "gen_ai.usage.cost", "error.type" IS NULL AS ok,
                  "evaluations.helpfulness" AS helpfulness FROM read_parquet('{path}')""",
}


def duckdb_answers(path: Path, now: float, threads: int | None = None, fmt: str = "jsonl") -> dict:
    import duckdb  # bench only

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads TO {threads}")
    con.execute("CREATE TABLE r AS " + DUCK_TABLE[fmt].format(path=path))
    answers: dict = {}
    start = now - PERIOD
    for sli, expr in SLI_SQL.items():
        rows = con.execute(
            f"""SELECT floor(t / {SLICE}) * {SLICE} AS s, {expr} FROM r
                WHERE t >= ? AND t < ? GROUP BY s HAVING count(*) > 0 ORDER BY s""",
            [math.ceil(start / SLICE) * SLICE, now],
        ).fetchall()
        answers[(sli, "slices")] = [(float(s), float(v)) for s, v in rows if v is not None]
        for w in WINDOWS:
            (v,) = con.execute(f"SELECT {expr} FROM r WHERE t >= ? AND t < ?", [now - w, now]).fetchone()
            answers[(sli, "window", f"{w:g}")] = v
    rows = con.execute(
        f"""SELECT floor(t / {SLICE}) * {SLICE} AS s, sum(ok::INT), count(*) FROM r
            WHERE t >= ? AND t < ? GROUP BY s ORDER BY s""",
        [math.ceil(start / SLICE) * SLICE, now],
    ).fetchall()
    answers[("success", "slices")] = [(float(s), float(g), float(n)) for s, g, n in rows]
    for w in WINDOWS:
        g, n = con.execute("SELECT coalesce(sum(ok::INT), 0), count(*) FROM r WHERE t >= ? AND t < ?",
                           [now - w, now]).fetchone()
        answers[("success", "window", f"{w:g}")] = (float(g), float(n))
    con.close()
    return answers


def _flat_rows(jsonl: Path, skip: int = 0) -> list[list]:
    """The question's columns of each JSONL record (after the first ``skip`` lines)."""
    import json

    rows = []
    with open(jsonl, "rb") as fh:
        for i, line in enumerate(fh):
            if i < skip:
                continue
            r = json.loads(line)
            helpful = next((e["gen_ai.evaluation.score.value"] for e in r.get("evaluations") or []
                            if e["gen_ai.evaluation.name"] == "helpfulness"), None)
            rows.append([r["time"], r["duration_s"], r["gen_ai.usage.cost"], r.get("error.type"), helpful])
    return rows


def write_csv(rows: list[list], path: Path, append: bool = False) -> None:
    import csv

    with open(path, "a" if append else "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        if not append:
            w.writerow(FLAT)
        w.writerows([["" if v is None else v for v in row] for row in rows])


def write_parquet(rows: list[list], path: Path) -> None:
    import pyarrow as pa  # bench only
    import pyarrow.parquet as pq

    columns = list(zip(*rows)) if rows else [[] for _ in FLAT]
    types = [pa.string(), pa.float64(), pa.float64(), pa.string(), pa.float64()]
    pq.write_table(pa.table({name: pa.array(col, type=t) for name, col, t in zip(FLAT, columns, types)}), path)


def _write_copies(jsonl: Path, csv_path: Path, parquet_path: Path) -> None:
    """The CSV and Parquet copies of the log (the question's columns)."""
    rows = _flat_rows(jsonl)
    write_csv(rows, csv_path)
    write_parquet(rows, parquet_path)


def _measured(fn, *args) -> tuple:
    """``fn(*args)`` in a forked child: (result, wall s, CPU s of all its threads, peak RSS bytes)."""
    import multiprocessing
    import resource

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child() -> None:
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn(*args)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        send.send((result, wall, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))
        send.close()

    proc = ctx.Process(target=child)
    proc.start()
    out = recv.recv()
    proc.join()
    return out


def _rss_floor() -> int:
    """The peak RSS of a forked child that does nothing (what the bench process itself holds)."""
    return _measured(lambda: None)[3]


def _close(a: object, b: object) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)  # type: ignore[arg-type]


def compare(ours: dict, theirs: dict) -> list[str]:
    problems = []
    for key in sorted(theirs, key=str):
        if not _close(ours.get(key), theirs[key]):
            a, b = ours.get(key), theirs[key]
            if isinstance(a, list) and isinstance(b, list):
                problems.append(f"{key}: {len(a)} vs {len(b)} slices; first difference "
                                f"{next(((x, y) for x, y in zip(a, b) if not _close(x, y)), None)}")
            else:
                problems.append(f"{key}: slotui {a} vs duckdb {b}")
    return problems


def _first_read(fmt: str, path: Path, now: float, records: int, repeat: int, floor: int) -> bool:
    best = {"slotui": (float("inf"),) * 3, "duckdb": (float("inf"),) * 3}
    ours = theirs = None
    parsed = ""
    for _ in range(repeat):
        (ours, parsed), wall, cpu, rss = _measured(
            lambda: (lambda s: (slotui_answers(s, now), (s.records, s.skipped, s.columnar_chunks, s.bulk_chunks)))(
                source(path)))
        best["slotui"] = min(best["slotui"], (wall, cpu, rss))
        theirs, wall, cpu, rss = _measured(duckdb_answers, path, now, None, fmt)
        best["duckdb"] = min(best["duckdb"], (wall, cpu, rss))
    assert ours is not None and theirs is not None
    problems = compare(ours, theirs)
    for p in problems[:10]:
        print("MISMATCH", fmt, p)
    print(f"[{fmt}] {path.stat().st_size / 1e6:.0f} MB; answers agree: {not problems} "
          f"({len(theirs)} answers: 4 SLIs x (3 windows + slices))")
    for side in ("slotui", "duckdb"):
        wall, cpu, rss = best[side]
        extra = (f"  (parsed {parsed[0]:,}, skipped {parsed[1]:,} older than the period; "
                 f"{parsed[2]} chunks read as columns, {parsed[3]} of them by DuckDB)") if side == "slotui" else ""
        print(f"{side:7s} full read: {wall:7.2f} s wall {cpu:7.2f} s CPU  {records / wall:12,.0f} records/s"
              f"  peak RSS {rss / 1e6:6.0f} MB (+{max(0, rss - floor) / 1e6:.0f} MB over the bench's own){extra}")
    (w_o, c_o, _), (w_d, c_d, _) = best["slotui"], best["duckdb"]
    print(f"ratio slotui/duckdb: {w_o / w_d:.2f} wall, {c_o / c_d:.2f} CPU (below 1 is faster than DuckDB) [{fmt}]")
    return not problems


def _append(fmt: str, path: Path, jsonl: Path, records: int) -> bool:
    """Append 1% (JSONL, CSV; Parquet is rewritten) and time the follow-up fetch against a rescan."""
    src = source(path)
    last = _last_time(jsonl)
    assert last is not None
    now = math.floor(last / 60) * 60 + 60 + 17.5
    slotui_answers(src, now)
    extra = max(1, records // 100)
    appended_at = src.bytes_read
    if fmt == "jsonl":
        generate(path, extra, last, 3.3, seed=2, append=True)
    else:
        before = sum(1 for _ in open(jsonl, "rb"))
        generate(jsonl, extra, last, 3.3, seed=2, append=True)
        if fmt == "csv":
            write_csv(_flat_rows(jsonl, skip=before), path, append=True)
        else:
            write_parquet(_flat_rows(jsonl), path)
    last2 = _last_time(jsonl)
    assert last2 is not None
    now2 = math.floor(last2 / 60) * 60 + 60 + 17.5
    t0 = time.perf_counter()
    incremental = slotui_answers(src, now2)
    t_inc = time.perf_counter() - t0
    new_bytes = src.bytes_read - appended_at
    t0 = time.perf_counter()
    rescan = slotui_answers(source(path), now2)
    t_full = time.perf_counter() - t0
    same = not compare(incremental, rescan)
    how = f"read {new_bytes / 1e6:.1f} MB" if fmt != "parquet" else "re-read the rewritten file"
    print(f"[{fmt}] appended {extra:,} records; incremental fetch {how} "
          f"in {t_inc * 1000:.0f} ms vs full rescan {t_full:.2f} s: {t_full / t_inc:.0f}x faster; "
          f"same answers as the rescan: {same}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--file", type=Path, help="use (or create) this JSONL file instead of a temporary one")
    parser.add_argument("--keep", action="store_true", help="keep the generated file")
    parser.add_argument("--repeat", type=int, default=1, help="time each side this many times, keep the best")
    parser.add_argument("--breakdown-only", action="store_true",
                        help="only measure the cost of a breakdown (with/without ratio), no DuckDB")
    parser.add_argument("--formats", default="jsonl,csv,parquet",
                        help="comma-separated: jsonl, csv (a copy with the question's columns), parquet (the same)")
    parser.add_argument("--no-duckdb", action="store_true",
                        help="read the JSONL log's first read with pyarrow's columnar reader, not DuckDB's")
    parser.add_argument("--default-gc", action="store_true",
                        help="keep CPython's collector settings instead of the ones slotui's commands apply")
    args = parser.parse_args()
    # slotui's modules byte-compiled, as pip compiles an installed package's (and DuckDB's are): an
    # editable install under PYTHONDONTWRITEBYTECODE (set on this machine) has no .pyc, and the
    # modules a first read imports (the columnar reader) were compiled in every measured child
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parent.parent / "slotui", quiet=2)
    blas_threads.limit()  # as the `slotui` command does first (numpy is imported by the measured children)
    if not args.default_gc:
        gc_policy.apply()  # as `slotui check`, `slotui run` and the TUI run
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    global BULK
    BULK = not args.no_duckdb

    tmpdir = tempfile.mkdtemp(prefix="slotui-bench-")
    path = Path(tmpdir) / "requests.jsonl" if args.file is None else args.file
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, args.records, START, 3.3, seed=1)
        print(f"generated {args.records:,} records in {time.perf_counter() - t0:.1f}s")
    with open(path, "rb") as fh:
        records = sum(1 for _ in fh)
    size = path.stat().st_size
    last = _last_time(path)
    assert last is not None
    now = math.floor(last / 60) * 60 + 60 + 17.5  # after the last record, off the slice grid
    print(f"file: {path} ({records:,} records, {size / 1e6:.0f} MB); now = {now}")
    print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.2f}; collector: "
          f"{'CPython defaults' if args.default_gc else 'slotui.gc_policy'} (thresholds {gc.get_threshold()})")
    if args.breakdown_only:
        first, steady = breakdown_cost(path, records, args.repeat)
        if not args.keep:
            for scratch in Path(tmpdir).iterdir():
                scratch.unlink()
            os.rmdir(tmpdir)
        return 0 if first < 2 and steady < 2 else 1

    floor = _rss_floor()
    ok = True
    copies: dict[str, Path] = {"jsonl": path}
    if {"csv", "parquet"} & set(formats):
        copies["csv"] = Path(tmpdir) / "requests.csv"
        copies["parquet"] = Path(tmpdir) / "requests.parquet"
        # in a child: the measured children fork from this process, and writing the copies imports
        # numpy, pyarrow, pyarrow.compute and pyarrow.parquet (~0.2 s of a first read's) and leaves a
        # heap of freed rows behind: each measured child pays its own imports, as a fresh process does
        _measured(_write_copies, path, copies["csv"], copies["parquet"])
    for fmt in formats:
        ok = _first_read(fmt, copies[fmt], now, records, args.repeat, floor) and ok
    # appends: the JSONL is appended to (kept only with --keep/--file); the copies follow a scratch JSONL
    for fmt in formats:
        jsonl = Path(tmpdir) / f"follow-{fmt}.jsonl"  # the log itself is never grown
        jsonl.write_bytes(path.read_bytes())
        target = jsonl if fmt == "jsonl" else copies[fmt]
        ok = _append(fmt, target, jsonl, records) and ok
    first, steady = breakdown_cost(path, records, args.repeat)
    ok = ok and first < 2 and steady < 2
    for scratch in Path(tmpdir).iterdir():
        if args.keep and scratch == path:
            continue
        scratch.unlink()
    if not any(Path(tmpdir).iterdir()):
        os.rmdir(tmpdir)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
