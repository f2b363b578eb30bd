"""Triton code of tritonact: ``@triton.jit`` functions only, no torch autograd.

Installed as ``tritonact.kernels``. ``math`` holds numerics that run both compiled and in
Triton's interpreter, ``activations`` the per-activation math, ``elementwise`` the generic
kernels that take that math as a ``tl.constexpr`` argument, ``io`` the loads, stores and scalar
parameters every kernel shares (and the one place for Triton's interpreter's workarounds).
"""
