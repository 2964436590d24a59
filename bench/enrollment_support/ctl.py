"""Small ORM steps the benchmark runs on its database, as a separate process with the benchmark's settings.

python -m bench.enrollment_support.ctl latency 50   # every registry answers 50 ms late (SourceFault)
"""

import argparse
import json
import os


def set_latency(ms: int) -> dict:
    """One fault setting per registry: ``ms`` of added latency, no errors, no timeouts."""
    from sandbox.models import Source, SourceFault

    for source in Source.values:
        SourceFault.objects.update_or_create(
            source=source, defaults={"latency_ms": ms, "error_rate": 0.0, "timeout_rate": 0.0, "seed": None}
        )
    return {"sources": len(Source.values), "latency_ms": ms}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("latency").add_argument("ms", type=int)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.enrollment_support.settings")
    import django

    django.setup()
    if args.command == "latency":
        print(json.dumps(set_latency(args.ms)))


if __name__ == "__main__":
    main()
