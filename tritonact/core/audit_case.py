"""What the kernel audit knows of a kernel before compiling it, and of the GPUs it models: a
case (one compilation: a generic kernel with one op's math, dtype, index width, arch), the
launch a family's planner makes for it, a program's work, and the issue-rate model's GPUs and
limits. The families build cases and launches (``Spec.audit_cases``, ``Spec.audit_launch``);
``tritonact.checks.audit`` compiles them and reads the machine code.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

#: Registers per thread that each arch's gate allows. Both archs have a 64K-register file and
#: 2048 threads an SM, and allocate registers 256 to a warp.
#: - sm_90, the arch of the CUDA machines this project targets: 32, at which 2048 threads (full
#:   occupancy) fit the register file whatever the number of warps per program.
#: - sm_80: 40, the most at which 48 warps (12 four-warp programs, 75% occupancy) still fit: 33
#:   to 40 registers a thread take 1280 a warp. ptxas for sm_80 allocates differently from the
#:   same PTX: with triton 3.8 it gives selu's bf16 forward 39 registers and mish's fp16 backward
#:   40, kernels that take at most 32 on sm_90. Bringing them to 32 on sm_80 would take
#:   rewritten math or a register cap per kernel and arch at launch; the gate holds sm_80 to 75%
#:   occupancy instead, and fails a kernel that would lose more.
REGISTER_CEILINGS: dict[int, int] = {90: 32, 80: 40}


@dataclass(frozen=True)
class Gpu:
    """What bounds a streaming kernel on one GPU: how fast it issues instructions and MUFU ops,
    and how fast its memory moves bytes."""

    name: str
    sms: int
    clock_ghz: float  # the highest boost clock
    memory_tb_s: float  # HBM bandwidth, 1e12 bytes/s

    def instructions_per_byte(self) -> float:
        """Lane-instructions the GPU issues in the time its memory moves one byte."""
        return self.sms * SCHEDULERS_PER_SM * WARP_LANES * self.clock_ghz / (1e3 *
                                                                               self.memory_tb_s)

    def mufu_per_byte(self) -> float:
        """MUFU (special function) results the GPU computes in the time of one byte."""
        return self.sms * MUFU_PER_SM_CLOCK * self.clock_ghz / (1e3 * self.memory_tb_s)


#: The issue-rate model's constants, with their sources.
#: - 4 warp schedulers an SM, each issuing one warp instruction (32 lanes) a clock: NVIDIA H100
#:   Tensor Core GPU Architecture whitepaper (2022), "H100 SM architecture" (four SM
#:   sub-partitions); the same on A100 (NVIDIA A100 Tensor Core GPU Architecture whitepaper).
#: - 16 MUFU results (exp2, rcp, rsqrt, log2, sin, cos) an SM a clock on compute capability 8.x
#:   and 9.0: CUDA C++ Programming Guide, "Arithmetic Instructions" throughput table.
#: - H100 SXM5 and H200 SXM: the same GH100 with 132 SMs and a 1.98 GHz max boost clock (the
#:   whitepaper's SM count; the clock nvidia-smi reports as the max SM clock); HBM 3.35 TB/s
#:   (NVIDIA H100 datasheet, SXM) and 4.8 TB/s (NVIDIA H200 datasheet, SXM).
#: - Occupancy, sm_80 and sm_90: 65536 registers, 64 warps and 32 programs an SM, registers
#:   allocated 256 to a warp, 1 KB of shared memory reserved per program, 228 KB (sm_90) and
#:   164 KB (sm_80) of shared memory an SM: CUDA C++ Programming Guide, "Compute Capabilities",
#:   table of technical specifications, and the CUDA Occupancy Calculator's allocation rules.
SCHEDULERS_PER_SM = 4
WARP_LANES = 32
MUFU_PER_SM_CLOCK = 16
H200 = Gpu("H200", sms=132, clock_ghz=1.98, memory_tb_s=4.8)
H100 = Gpu("H100", sms=132, clock_ghz=1.98, memory_tb_s=3.35)
#: The GPUs whose ceilings the audit reports for sm_90 code; the gate holds to the first.
SM90_GPUS = (H200, H100)
REGISTERS_PER_SM = 65536
REGISTER_UNIT = 256  # registers are allocated to a warp in units of this many
WARPS_PER_SM = 64
PROGRAMS_PER_SM = 32
SHARED_RESERVED = 1024
SHARED_PER_SM = {90: 228 * 1024, 80: 164 * 1024}
#: The gate: the most of the H200's issue ceiling a kernel may use (above it, the kernel cannot
#: reach the memory roofline however it is launched); gated kernels, and the one-pass row-wise
#: kernels in 16-bit, are held to the tighter goal (issue 15), which leaves the scheduler slack.
CEILING_RATIO = 1.0
CEILING_GOAL = 0.8


def occupancy(registers: int, num_warps: int, shared: int, arch: int) -> float:
    """The fraction of an SM's 64 warps resident at ``registers`` a thread, ``num_warps`` a
    program and ``shared`` bytes of shared memory a program."""
    per_warp = -(-max(registers, 1) * WARP_LANES // REGISTER_UNIT) * REGISTER_UNIT
    programs = min(PROGRAMS_PER_SM, WARPS_PER_SM // num_warps,
                   REGISTERS_PER_SM // (per_warp * num_warps))
    if shared:
        programs = min(programs, SHARED_PER_SM[arch] // (shared + SHARED_RESERVED))
    return programs * num_warps / WARPS_PER_SM

@dataclass(frozen=True)
class Work:
    """What one program of a case does: its warps, the elements it produces (outputs: a gated
    kernel's per output) and how many times each loop of its code runs."""

    num_warps: int
    elements: int
    trips: int = 1


@dataclass(frozen=True)
class Case:
    """One compilation: a generic kernel with one activation's math, dtype, index width, arch."""

    kernel: str  # forward, backward, ...: the kernel's name, prefixed by its family's
    op: str  # the kernel key (relu, gelu:tanh, ...)
    dtype: str  # fp32, fp16, bf16, fp64
    wide: bool  # int64 indices
    arch: int  # 90, 80
    rows: int = 0  # a row-wise case's input: rows x columns (0: not row-wise)
    columns: int = 0
    spec: str = ""  # the registry op whose ``audit_launch`` builds the launch
    module: str = "tritonact.kernels.elementwise"  # where the kernel and its exceptions live
    goal: float = CEILING_RATIO  # the share of the H200's issue ceiling it may use
    group: str = ""  # the summary's row (default: the op)

    @property
    def kernel_name(self) -> str:
        return self.kernel.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Launch:
    """A launch as the launcher makes it: the kernel, its positional arguments (tensors, ints,
    floats: on the meta device, their values are what Triton specialises on), its
    meta-parameters (constexprs, and ``num_warps`` where not the default) and a program's work."""

    kernel: object
    args: tuple
    meta: dict
    work: Work


#: The audit's dtype names -> torch's.
AUDIT_DTYPES: dict[str, torch.dtype] = {"fp32": torch.float32, "fp16": torch.float16,
                                        "bf16": torch.bfloat16, "fp64": torch.float64}


def audit_dtype(name: str) -> torch.dtype:
    """``fp16`` -> torch.float16 (the audit's dtype names)."""
    return AUDIT_DTYPES[name]
