"""The checks over the registry: ``verify`` (every op against PyTorch), ``audit`` (every kernel's
sm_90/sm_80 machine code) and ``stubs`` (the type stubs written from the specs)."""
