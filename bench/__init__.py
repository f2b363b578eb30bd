"""The benchmark suite (README: Benchmarks): ``python -m tritonact bench`` and ``pytest bench/``
over one registry-driven case list; and ``gpu_check.sh``, the check script for a CUDA machine."""
