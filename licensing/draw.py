"""The double-random draw (双随机): which institutions are inspected, and by which two inspectors.

Pure Python on plain values, no Django, so anyone can recompute a published draw from its seed with the
script in docs/workflows/licensing.md. The inputs are sorted before the draw, so the order the database
returns them in does not matter:

1. ``random.Random(seed)`` (a string seed: Python hashes it with SHA-512, the same on every platform);
2. ``k = ceil(len(institutions) * share_percent / 100)`` institutions are sampled from the sorted codes;
3. for each drawn institution, in sorted order, two inspectors are sampled from the sorted codes of the
   pool minus those linked to it (fewer than two eligible: that institution gets whom there is).
"""

import math
import random


def draw(
    *, institutions: list[str], inspectors: dict[str, set[str]], share_percent: int, seed: str
) -> list[tuple[str, list[str]]]:
    """``institutions``: credit codes; ``inspectors``: inspector code → credit codes they are linked
    to. Returns ``[(credit_code, [inspector code, inspector code]), …]`` in sorted order."""
    rng = random.Random(seed)
    pool = sorted(set(institutions))
    k = min(len(pool), math.ceil(len(pool) * share_percent / 100))
    drawn = sorted(rng.sample(pool, k))
    result = []
    for code in drawn:
        eligible = sorted(i for i, linked in inspectors.items() if code not in linked)
        result.append((code, sorted(rng.sample(eligible, min(2, len(eligible))))))
    return result
