"""Speed and memory benchmarks: kit code against Keras built-ins, in the same run.

Run `python -m benchmarks` (or `--quick`). Every figure is a median over repeats after
warm-up, measured in the same process as its baseline, and reported as
`speedup = baseline_s / kit_s` (> 1 means the kit is faster): these machines are
shared and noisy, so absolute times vary while ratios hold.
"""
