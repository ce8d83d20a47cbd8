"""Place search: the hub's in-memory index against a linear scan of the same file, same run.

    .venv/bin/python benchmarks/places.py --queries 1000 --seed 14

Queries are drawn from the shipped communes file (``hub/geo/data/places.json.gz``), in the
shapes people type: a commune's name as written, its name folded and with "St" for "Saint",
a postcode, a postcode and a name, the first letters of a name. Each query runs through
``PlaceIndex.search`` (prefix index, intersection of the shortest lists) and through
``PlaceIndex.linear_search`` (every commune's words and codes tested in turn, the same
matching rule); the test suite checks both find the same communes. Prints p50 and p99 of each
in milliseconds and the ratio of the p50s.
"""

import argparse
import random
import statistics
import time

from hub.places.index import place_index


def queries(n: int, seed: int) -> list[str]:
    """``n`` queries drawn from the communes file, in the shapes people type."""
    index = place_index()
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        c = rng.choice(index.communes)
        shape = rng.randrange(5)
        postcode = c.postcodes[0] if c.postcodes else c.insee
        if shape == 0:
            out.append(c.name)
        elif shape == 1:
            out.append(" ".join(c.words).replace("saint", "st"))
        elif shape == 2:
            out.append(postcode)
        elif shape == 3:
            out.append(f"{postcode} {c.name}")
        else:
            out.append(c.name[: max(3, len(c.name) // 2)])
    return out


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    """Time both searches over the same queries and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    started = time.perf_counter()
    index = place_index()
    built = time.perf_counter() - started
    qs = queries(args.queries, args.seed)
    timings: dict[str, list[float]] = {"index": [], "linear": []}
    for q in qs:
        # Interleaved, so that a busy machine slows both alike.
        for name, fn in (("index", index.search), ("linear", index.linear_search)):
            t0 = time.perf_counter()
            fn(q, 10)
            timings[name].append((time.perf_counter() - t0) * 1000)
    print(f"communes: {len(index.communes)}; index built in {built:.2f} s; queries: {len(qs)}")
    for name, values in timings.items():
        print(
            f"{name:>6}: p50 {percentile(values, 50):8.3f} ms  p99 {percentile(values, 99):8.3f} ms"
            f"  mean {statistics.fmean(values):8.3f} ms"
        )
    ratio = percentile(timings["linear"], 50) / percentile(timings["index"], 50)
    ratio99 = percentile(timings["linear"], 99) / percentile(timings["index"], 99)
    print(f"linear / index: {ratio:.0f}x at p50, {ratio99:.0f}x at p99")


if __name__ == "__main__":
    main()
