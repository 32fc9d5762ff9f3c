"""Write N synthetic request records as JSON lines (SPEC section 8 schema).

    python bench/gen_requests.py OUT.jsonl [-n 1000000] [--start 2026-06-01T00:00:00Z] [--rate 3.3] [--seed 1] [--append]

Records are deterministic for a seed: ``time`` (RFC 3339, UTC, the end of the
request, increasing at ``rate`` requests per second on average), ``trace_id``,
``service.name``, ``gen_ai.request.model``, ``duration_s`` (log-normal),
token counts, ``gen_ai.usage.cost``, ``error.type`` (null for ~99.4%) and an
``evaluations`` list with helpfulness and accuracy scores. ``--append``
continues an existing file after its last record's time.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from datetime import datetime, timezone
from pathlib import Path

ERRORS = ("timeout", "rate_limit", "server_error")
MODELS = ("gpt-4o", "gpt-4o-mini")


def _rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _last_time(path: Path) -> float | None:
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        tail = fh.read().splitlines()
    for line in reversed(tail):
        try:
            return datetime.fromisoformat(json.loads(line)["time"].replace("Z", "+00:00")).timestamp()
        except (ValueError, KeyError):
            continue
    return None


def generate(path: Path, n: int, start: float, rate: float, seed: int, append: bool = False) -> int:
    """Write ``n`` records to ``path``; returns the number of bytes written."""
    rng = random.Random(seed)
    t = start
    written = 0
    mode = "a" if append else "w"
    with open(path, mode, encoding="utf-8", newline="\n") as fh:
        lines = []
        for i in range(n):
            t += rng.expovariate(rate)
            hour = (t % 86400) / 3600
            slow = 1.0 + (2.5 if 14 <= hour < 15 else 0.0)  # a daily latency incident
            duration = math.exp(rng.gauss(math.log(0.9 * slow), 0.5))
            input_tokens = rng.randint(200, 2000)
            output_tokens = rng.randint(20, 600)
            model = MODELS[0] if rng.random() < 0.7 else MODELS[1]
            price = (2.5e-6, 1.0e-5) if model == "gpt-4o" else (1.5e-7, 6.0e-7)
            cost = round(input_tokens * price[0] + output_tokens * price[1], 6)
            error = ERRORS[rng.randrange(3)] if rng.random() < 0.006 else None
            record = {
                "time": _rfc3339(t),
                "trace_id": f"{seed:08x}{i:024x}",
                "service.name": "support-bot",
                "gen_ai.request.model": model,
                "duration_s": round(duration, 4),
                "gen_ai.usage.input_tokens": input_tokens,
                "gen_ai.usage.output_tokens": output_tokens,
                "gen_ai.usage.cost": cost,
                "error.type": error,
                "evaluations": [
                    {"gen_ai.evaluation.name": "helpfulness",
                     "gen_ai.evaluation.score.value": round(min(1.0, max(0.0, rng.gauss(0.86, 0.08))), 3)},
                    {"gen_ai.evaluation.name": "accuracy",
                     "gen_ai.evaluation.score.value": round(min(1.0, max(0.0, rng.gauss(0.91, 0.06))), 3)},
                ],
            }
            lines.append(json.dumps(record, separators=(", ", ": ")))
            if len(lines) >= 10_000:
                chunk = "\n".join(lines) + "\n"
                fh.write(chunk)
                written += len(chunk)
                lines = []
        if lines:
            chunk = "\n".join(lines) + "\n"
            fh.write(chunk)
            written += len(chunk)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("--start", default="2026-06-01T00:00:00Z")
    parser.add_argument("--rate", type=float, default=3.3, help="mean requests per second")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--append", action="store_true", help="continue after the file's last record")
    args = parser.parse_args()
    start = datetime.fromisoformat(args.start.replace("Z", "+00:00")).timestamp()
    if args.append and args.out.exists():
        start = _last_time(args.out) or start
    size = generate(args.out, args.n, start, args.rate, args.seed + (1 if args.append else 0), args.append)
    print(f"wrote {args.n} records ({size / 1e6:.1f} MB) to {args.out}")


if __name__ == "__main__":
    main()
