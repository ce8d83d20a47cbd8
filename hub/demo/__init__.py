"""Demo scenario for `hub demo` and the benchmarks."""
