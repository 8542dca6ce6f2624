"""Run every benchmark; each writes its own section of docs/BENCHMARKS.md."""

from __future__ import annotations

from bench import bench_import, bench_load, bench_map, bench_ogc, bench_planning


def main() -> None:
    for bench in (bench_planning, bench_map, bench_import, bench_ogc, bench_load):
        print(f"== {bench.__name__}")
        bench.main([])


if __name__ == "__main__":
    main()
