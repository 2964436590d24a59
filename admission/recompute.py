"""Recompute a published admission draw from its published inputs — anyone can check the lottery.

Needs only Python 3.11 and two files: this script and ``allocation.py`` beside it (both in the portal's
source, and linked from every public notice). The inputs file is the draw's published
``inputs.json`` (format ``admission-draw/1``: seed, schools with their free seats and coordinates,
applicants by reference number with tier, points, ranking date, zone school, sibling group).

    python3 recompute.py inputs.json                 # prints the result digest and counts
    python3 recompute.py inputs.json --expect DIGEST # exit status 1 if the published result differs
    python3 recompute.py inputs.json --csv out.csv   # every applicant's rank, lottery number and school

The digest printed is the SHA-256 the public notice shows as "result digest"; equal digests mean the
portal placed every applicant exactly as the published rules and seed say.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path

try:  # inside the portal
    from admission import allocation as A
except ImportError:  # standalone: allocation.py next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import allocation as A  # type: ignore[no-redef]


def recompute(document: dict) -> A.Result:
    seed, schools, applicants, use_dates = A.load_inputs(document)
    return A.allocate(schools, applicants, seed, use_dates=use_dates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", help="the published inputs.json of the draw")
    parser.add_argument("--expect", help="the result digest the public notice shows")
    parser.add_argument("--csv", help="write every applicant's rank, lottery number and school here")
    args = parser.parse_args(argv)
    raw = Path(args.inputs).read_bytes()
    try:
        document = json.loads(raw)
        result = recompute(document)
    except (ValueError, KeyError, TypeError) as exc:
        print(f"cannot read {args.inputs}: {exc}", file=sys.stderr)
        return 2
    digest = result.digest()
    print(f"inputs sha256  {hashlib.sha256(raw).hexdigest()}")
    print(f"seed           {result.seed}")
    print(f"applicants     {len(result.assignments)}")
    print(f"zone           {result.counts[A.ZONE]}")
    print(f"redistributed  {result.counts[A.REDISTRIBUTED]}")
    print(f"waiting        {result.counts[A.WAITING]}")
    print(f"result digest  {digest}")
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["rank", "reference_no", "lottery_number", "school", "how", "distance_km"])
            for a in result.assignments:
                writer.writerow([a.rank, a.ref, a.lottery, a.school or "", a.how, a.distance_km or ""])
    if args.expect and args.expect.strip().lower() != digest:
        print("MISMATCH: the published result digest differs from the recomputed one", file=sys.stderr)
        return 1
    if args.expect:
        print("OK: the published result is exactly what the published inputs and seed give")
    return 0


if __name__ == "__main__":
    sys.exit(main())
