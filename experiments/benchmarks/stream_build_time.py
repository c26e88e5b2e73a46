"""Benchmark: building the Fashion-MNIST stream from local files, its time and its memory.

Times reading the four idx files and building the 4-band feature-incremental
stream (best of ``--repeats``; Avalanche is imported before, as a run does),
then the Avalanche views the evaluation protocol uses and one pass over every
training item through Avalanche's dataset. Prints the stream's memory (one copy of the
raw 8-bit pixels, whatever the views) and the process's peak resident memory.

    python -m experiments.benchmarks.stream_build_time [--data-root DIR] [--repeats 3]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from streams import StreamConfig, build_stream, load_source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="default: $ALCL_DATA, then the system folders")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import avalanche  # noqa: F401  (imported first: its time and memory are not the stream's)

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        data = load_source("fashion_mnist", data_root=args.data_root, download=False)
        loaded = time.perf_counter()
        stream = build_stream(data, StreamConfig(n_experiences=4, grouping="horizontal_bands"))
        times.append((loaded - start, time.perf_counter() - loaded))
    read, build = min(times, key=sum)
    total = read + build
    print(f"Fashion-MNIST, {len(data.y)} training + {len(data.test_y)} test images, 4 bands")
    print(
        f"read files {read:.2f} s + build stream {build:.2f} s = {total:.2f} s (best of {args.repeats})"
    )
    print(f"target <= 10 s: {total <= 10}")
    print(f"stream memory: {stream.nbytes / 2**20:.1f} MiB of raw pixels (uint8)")
    float_copy = (len(data.y) + len(data.test_y)) * stream.n_features * 4 / 2**20
    print(f"(one float32 copy of every image would be {float_copy:.1f} MiB)")

    start = time.perf_counter()
    views = [stream.view(s) for s in ("train", "valid", "test")]
    views += [stream.view(s, upto=t) for s in ("valid", "test") for t in range(4)]
    print(f"{len(views)} Avalanche views: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    n = 0
    for exp in stream.train_stream:
        for i in range(len(exp.dataset)):
            x = exp.dataset[i][0]
            n += 1
    per_item = (time.perf_counter() - start) / n * 1e6
    print(
        f"one pass over {n} training items: {per_item:.1f} us per item (last has "
        f"{int(np.isnan(x.numpy()).sum())} absent pixels)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak resident memory: {peak:.0f} MiB, of which {baseline:.0f} MiB is importing torch "
        f"and Avalanche: the stream, its views and a pass over them add {peak - baseline:.0f} MiB"
    )


if __name__ == "__main__":
    main()
