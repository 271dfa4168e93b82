"""`python -m quotemaild.bench` / `make bench`: baseline vs quotemaild on loopback, table + JSON.

Full mode (default): N=5000, store sizes 10k/100k/1M, 5 minutes of sustained load, every
throughput and scale-ingest run three times (the median counts; baseline and quotemaild take turns).
Quick mode (--quick): small N, small store sizes, a few seconds, two runs each; what `make test` runs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from quotemaild.bench import report
from quotemaild.bench.runner import Settings, run
from quotemaild.bench.stores import StoreUnavailable

MiB = 1024 * 1024
FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (2_000, 5_000)


def _ints(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v.replace("_", "")) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from exc
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m quotemaild.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--quick", action="store_true", help="small N, small sizes, seconds of sustained load")
    p.add_argument("--n", type=int, help="messages per load run (default 5000; quick 300)")
    p.add_argument("--sessions", type=_ints, default=(1, 32), help="concurrent connections (default 1,32)")
    p.add_argument("--size", type=int, default=2048, help="message payload bytes (default 2048)")
    p.add_argument("--sizes", type=_ints, help="store sizes in messages (default 10000,100000,1000000)")
    p.add_argument("--skip-scale", action="store_true", help="skip the preloaded-store stage")
    p.add_argument("--duration", type=float, help="sustained-load seconds (default 300; quick 3)")
    p.add_argument("--max-message-size", type=int, help="size limit for both servers (default 50 MiB; quick 4 MiB)")
    p.add_argument("--query-runs", type=int, help="timed runs per query (default 300; quick 30)")
    p.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio", help="baseline's event loop")
    p.add_argument("--log-level", default="info", help="quotemaild's log level during the bench")
    p.add_argument("--repeats", type=_positive, help="runs per throughput and scale-ingest measurement, median "
                   "reported (default 3; quick 2)")
    p.add_argument("--reconnect", action="store_true", help="smtp-source: new connection per message")
    p.add_argument("--web-requests", type=_positive, help="web stage: requests in the store (default 100000; quick 500)")
    p.add_argument("--web-runs", type=_positive, help="web stage: timed requests per page (default 50; quick 5)")
    p.add_argument("--skip-web", action="store_true", help="skip the web app / API server-time stage")
    p.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite",
                   help="the stores' engine (default sqlite; postgresql: a private PostgreSQL 15 server from "
                   "Debian's package for the run, removed after)")
    p.add_argument("--paced-ratio", type=float, default=0.4,
                   help="paced stage: offered rate as a fraction of the null handler's rate (default 0.4)")
    p.add_argument("--paced-rate", type=float, help="paced stage: a fixed offered rate in msgs/s instead")
    p.add_argument("--out", type=Path, default=Path("bench/results/latest.json"), help="JSON output path")
    p.add_argument("--workdir", type=Path, help="keep stores and logs here (default: a temp dir, removed)")
    return p


def settings(args: argparse.Namespace, workdir: Path) -> Settings:
    quick = args.quick
    return Settings(
        n=args.n or (300 if quick else 5000),
        sessions=args.sessions,
        size=args.size,
        quick=quick,
        sizes=tuple(sorted(set(args.sizes or (QUICK_SIZES if quick else FULL_SIZES)))),
        skip_scale=args.skip_scale,
        duration=args.duration if args.duration is not None else (3.0 if quick else 300.0),
        max_message_size=args.max_message_size or ((4 if quick else 50) * MiB),
        query_runs=args.query_runs or (30 if quick else 300),
        loop=args.loop,
        log_level=args.log_level,
        workdir=workdir,
        reuse_connections=not args.reconnect,
        repeats=args.repeats or (2 if quick else 3),
        web_requests=args.web_requests or (500 if quick else 100_000),
        web_runs=args.web_runs or (5 if quick else 50),
        skip_web=args.skip_web,
        store=args.store,
        paced_ratio=args.paced_ratio,
        paced_rate=args.paced_rate,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    keep = args.workdir is not None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="quotemaild-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        result = run(settings(args, workdir.resolve()))
    except StoreUnavailable as exc:
        print(f"python -m quotemaild.bench: --store {args.store}: {exc}", file=sys.stderr)
        return 2
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    report.write_json(result, args.out)
    print(report.render(result))
    print(f"\nJSON: {args.out}")
    failed = [k for k, v in result["targets"].items() if v.get("status") == "error"]
    return 1 if failed or result["targets"]["baseline"].get("status") != "ok" else 0


if __name__ == "__main__":
    sys.exit(main())
