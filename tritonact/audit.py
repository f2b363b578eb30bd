"""Kernel audit: compile every kernel the registry launches for Hopper (sm_90) and Ampere (sm_80)
on the CPU, the way a real launch specializes it, and read the machine code.

Per kernel: registers, stack and local memory (spills), shared memory, the widest global load and
store, any fp64 instruction, and the special-function (MUFU) instructions. Must run without
``TRITON_INTERPRET`` (the interpreter replaces ``@triton.jit``); ``python -m tritonact audit``
re-runs itself in a clean subprocess when the variable is set.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

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

_FP64 = re.compile(r"\b(D(?:ADD|MUL|FMA|SETP|MNMX|SET)|F2F\.F64\.\S+|F2F\.\S+\.F64|I2F\.F64\S*|"
                   r"F2I\S*\.F64\S*|MUFU\.\w+64H)\b")
_MUFU = re.compile(r"\bMUFU\.[A-Z0-9]+\b")
_GLOBAL = re.compile(r"\b(LDG|STG)((?:\.[A-Z0-9_]+)*)")
_MODULE_SYMBOL = re.compile(r"^\.global\s+(?:\.align\s+\d+\s+)?(?:\.\w+\s+)*([A-Za-z_$][\w$]*)",
                            re.M)


@dataclass(frozen=True)
class Case:
    """One compilation: a generic kernel with one activation's math, dtype, index width, arch."""

    kernel: str  # forward, backward, second, forward_strided, backward_strided
    op: str  # the kernel key (relu, gelu:tanh, ...)
    dtype: str  # fp32, fp16, bf16, fp64
    wide: bool  # int64 indices
    arch: int  # 90, 80


@dataclass
class Report:
    case: Case
    registers: int = 0
    stack: int = 0
    local: int = 0
    shared: int = 0
    widest_load: int = 0
    widest_store: int = 0
    fp64: list[str] = field(default_factory=list)
    mufu: list[str] = field(default_factory=list)
    error: str = ""

    def violations(self) -> list[str]:
        """What breaks the gate, less the exceptions stated beside the kernel."""
        if self.error:
            return [f"does not compile: {self.error}"]
        module, name = _kernel_module(self.case.kernel)
        waived = module.AUDIT_EXCEPTIONS.get(name, {})
        found = {}
        if self.case.dtype != "fp64" and self.fp64:
            found["fp64"] = f"fp64 instructions {self.fp64} in a {self.case.dtype} kernel"
        if self.local or self.stack:
            found["spills"] = f"local {self.local} B, stack {self.stack} B"
        ceiling = REGISTER_CEILINGS[self.case.arch]
        if self.registers > ceiling:
            found["registers"] = (f"{self.registers} registers > {ceiling} "
                                  f"(sm_{self.case.arch}'s ceiling)")
        if self.widest_load != 128 or self.widest_store != 128:
            found["vector_width"] = (f"widest load {self.widest_load} bits, store "
                                     f"{self.widest_store} bits (128 expected)")
        return [v for k, v in found.items() if k not in waived]


#: Row-wise cases: a large input's tiling as the launcher picks it (4096 rows of 4096, the
#: one-pass kernel; of 65536, the two-pass kernel).
ROWWISE_COLUMNS = {"": 4096, "_long": 65536}


def _kernel_module(kernel: str):
    """(module, kernel name) for a case's kernel: ``forward`` (elementwise) or
    ``rowwise.forward_long`` (the row-wise kernel, two-pass tiling)."""
    from tritonact.kernels import elementwise, gated, prelu, randomized, rowwise

    for module in (prelu, randomized):
        prefix = module.__name__.rsplit(".", 1)[-1] + "."
        if kernel.startswith(prefix):
            return module, kernel.removeprefix(prefix)
    if kernel.startswith("rowwise."):
        return rowwise, kernel.removeprefix("rowwise.").removesuffix("_long")
    if kernel.startswith("gated."):
        return gated, kernel.removeprefix("gated.")
    return elementwise, kernel


def cases(ops: list[str] | None = None, archs=(90, 80), dtypes=("fp32", "fp16", "bf16"),
          full=True) -> list[Case]:
    """Every kernel the registry launches: each op's forward and backward in each dtype with the
    int32 index path, plus (fp32) the int64 path, the strided kernels and the double backward.
    ``full=False`` keeps only the first list (a faster gate)."""
    import tritonact.registry  # noqa: F401 - fills MATH
    from tritonact.autograd.elementwise import MATH
    from tritonact.autograd.gated import GATED_BACKWARD
    from tritonact.autograd.prelu import PRELU_MATH
    from tritonact.autograd.rowwise import ROW_MATH
    from tritonact.registry import GATED, RANDOMIZED

    gated_ops = {s.key(a): s.name for s in GATED for a in ("none", "tanh")}
    gate_keys = [k for k in GATED_BACKWARD if not ops or gated_ops.get(k) in ops
                 or k.split(":")[0] in ops]
    keys = [k for k in MATH if not ops or k.split(":")[0] in ops]
    row_keys = [k for k in ROW_MATH if not ops or k in ops]
    learnable = [k for k in PRELU_MATH if not ops or k in ops]
    random_keys = [s.name for s in RANDOMIZED if not ops or s.name in ops]
    out = []
    for arch in archs:
        for key, module in [*((k, "prelu") for k in learnable),
                            *((k, "randomized") for k in random_keys)]:
            out += [Case(f"{module}.{k}", key, dtype, False, arch)
                    for dtype in dtypes for k in ("forward", "backward")]
        for key in gate_keys:
            out += [Case(f"gated.{k}", key, dtype, False, arch)
                    for dtype in dtypes for k in ("forward", "backward")]
        for key in row_keys:
            for dtype in dtypes:
                out += [Case(f"rowwise.{k}{suffix}", key, dtype, False, arch)
                        for k in ("forward", "backward") for suffix in ROWWISE_COLUMNS]
        for key in keys:
            for dtype in dtypes:
                out += [Case(k, key, dtype, False, arch) for k in ("forward", "backward")]
            if full and "fp32" in dtypes:
                out += [Case(k, key, "fp32", True, arch) for k in ("forward", "backward")]
                out += [Case(k, key, "fp32", False, arch)
                        for k in ("forward_strided", "backward_strided", "second")]
    return out


def _rowwise_signature(kernel, case: Case) -> tuple[dict, dict, dict, int]:
    """A row-wise launch over 4096 contiguous rows, reduced over the last dim: row strides and
    sizes divisible by 16, the reduced dim's stride specialised to 1."""
    from tritonact.autograd.rowwise import ROW_MATH, _tiling, num_warps

    n_cols = ROWWISE_COLUMNS["_long" if case.kernel.endswith("_long") else ""]
    rows, block, one_pass = _tiling(4096, n_cols, 1)
    math = ROW_MATH[case.op]
    meta = {"OUTPUT": math.output, "GRAD_TERM": math.grad_term, "GRAD": math.grad,
            "NEGATE": math.negate, "ROWS": rows, "BLOCK": block, "ONE_PASS": one_pass,
            "WIDE": case.wide}
    signature, constexprs, attrs = {}, {}, {}
    for i, name in enumerate(kernel.arg_names):
        if name in meta:
            signature[name], constexprs[name] = "constexpr", meta[name]
        elif name.endswith("_ptr"):
            signature[name] = f"*{case.dtype}"
            attrs[(i,)] = [["tt.divisibility", 16]]
        elif name.endswith("_col"):
            signature[name], constexprs[name] = "constexpr", 1
        else:
            signature[name] = "i64" if case.wide else "i32"
            attrs[(i,)] = [["tt.divisibility", 16]]
    return signature, constexprs, attrs, num_warps(rows, block)


#: PReLU's audit case: a convolution's activation, [32, 64, 56 * 56] contiguous, on a 132-SM GPU.
PRELU_SHAPE = (32, 64, 56 * 56)


def _prelu_signature(kernel, case: Case) -> tuple[dict, dict, dict, int]:
    """A PReLU launch with one weight per channel over ``PRELU_SHAPE``, as the launcher tiles it;
    integer arguments specialised as Triton does (1 -> constant, multiples of 16 -> divisible)."""
    import torch

    from tritonact.autograd.launch import NUM_WARPS, block_size
    from tritonact.autograd.prelu import PRELU_MATH, tiling

    n, c, s = PRELU_SHAPE
    tile = tiling(n, c, s, False, block_size(getattr(torch, _TORCH_DTYPES[case.dtype])), 8 * 132)
    math = PRELU_MATH[case.op]
    meta = {"FORWARD": math.forward, "BACKWARD": math.backward,
            "WEIGHT_BACKWARD": math.weight_backward, "INPUT_GRAD": True, "WEIGHT_GRAD": True,
            "BLOCK_N": tile.block_n, "BLOCK_C": tile.block_c, "BLOCK_S": tile.block_s,
            "WIDE": case.wide}
    values = {"N": n, "C": c, "S": s, "rows_per_program": tile.rows, "w_stride": 1}
    values.update({f"{p}s_{d}": v for p in "xygd" for d, v in zip("ncs", (c * s, s, 1))})
    signature, constexprs, attrs = {}, {}, {}
    for i, name in enumerate(kernel.arg_names):
        if name in meta:
            signature[name], constexprs[name] = "constexpr", meta[name]
        elif name.endswith("_ptr"):
            wide_dtype = "fp32" if case.dtype != "fp64" else "fp64"
            signature[name] = f"*{wide_dtype if name == 'partial_ptr' else case.dtype}"
            attrs[(i,)] = [["tt.divisibility", 16]]
        elif values[name] == 1:
            signature[name], constexprs[name] = "constexpr", 1
        else:
            signature[name] = "i64" if case.wide else "i32"
            if values[name] % 16 == 0:
                attrs[(i,)] = [["tt.divisibility", 16]]
    return signature, constexprs, attrs, NUM_WARPS


_TORCH_DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16", "fp64": "float64"}


def _signature(kernel, case: Case) -> tuple[dict, dict, dict, int]:
    """Argument types, constexprs, the specialization Triton applies at run time to
    16-byte-aligned tensors whose sizes are multiples of 16, and the launcher's num_warps."""
    import torch

    from tritonact.autograd.elementwise import MATH
    from tritonact.autograd.launch import NUM_WARPS, block_size

    if case.kernel.startswith("rowwise."):
        return _rowwise_signature(kernel, case)
    if case.kernel.startswith("prelu."):
        return _prelu_signature(kernel, case)
    gated = case.kernel.startswith("gated.")
    if gated:
        from tritonact.autograd.gated import BLOCK, GATED_BACKWARD

    index = "i64" if case.wide else "i32"
    if case.kernel.startswith("randomized."):  # rrelu: its slope op's math
        from tritonact.registry import RANDOMIZED

        math = MATH[next(s.slope_op for s in RANDOMIZED if s.name == case.op)]
    else:
        math = MATH[case.op]
    torch_dtype = getattr(torch, _TORCH_DTYPES[case.dtype])
    signature, constexprs, attrs = {}, {}, {}
    for i, name in enumerate(kernel.arg_names):
        if name in ("FORWARD", "BACKWARD", "SECOND"):
            constexprs[name] = getattr(math, name.lower())
        elif name == "ACT":
            constexprs[name] = math.forward
        elif name == "ACT_BACKWARD":
            constexprs[name] = GATED_BACKWARD[case.op]
        elif name == "BLOCK":
            constexprs[name] = BLOCK if gated else block_size(torch_dtype)
        elif name == "WIDE":
            constexprs[name] = case.wide
        elif name.endswith("_ptr"):
            signature[name] = f"*{case.dtype}"
            attrs[(i,)] = [["tt.divisibility", 16]]
            continue
        elif name.endswith("_bits"):
            signature[name] = "i64"
            continue
        elif name in ("a", "b", "lower", "upper"):
            signature[name] = "fp32"
            continue
        elif name == "seed":
            signature[name] = "i32"
            continue
        else:  # n, sizes and strides (a gated launch's column count and row strides)
            signature[name] = index
            if name == "n" or gated:
                attrs[(i,)] = [["tt.divisibility", 16]]
            continue
        signature[name] = "constexpr"
    return signature, constexprs, attrs, NUM_WARPS


def _tool(name: str) -> str:
    import triton

    bundled = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", name)
    return bundled if os.path.exists(bundled) else (shutil.which(name) or name)


def _width(modifiers: str) -> int:
    parts = modifiers.split(".")
    for bits in ("128", "64"):
        if bits in parts:
            return int(bits)
    if any(p in ("U16", "S16") for p in parts):
        return 16
    if any(p in ("U8", "S8") for p in parts):
        return 8
    return 32


def _compile(case: Case, report: Report):
    """Compile one case; fill its resource usage from the cubin. Returns the PTX (or None)."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    module, name = _kernel_module(case.kernel)
    kernel = getattr(module, name)
    try:
        signature, constexprs, attrs, num_warps = _signature(kernel, case)
        source = ASTSource(fn=kernel, signature=signature, constexprs=constexprs, attrs=attrs)
        compiled = triton.compile(source, target=GPUTarget("cuda", case.arch, 32),
                                  options={"num_warps": num_warps})
    except Exception as error:
        report.error = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        return None
    with tempfile.NamedTemporaryFile(suffix=".cubin") as cubin:
        cubin.write(compiled.asm["cubin"])
        cubin.flush()
        usage = subprocess.run([_tool("cuobjdump"), "--dump-resource-usage", cubin.name],
                               capture_output=True, text=True, check=True).stdout
    for key, attr in (("REG", "registers"), ("STACK", "stack"), ("LOCAL", "local"),
                      ("SHARED", "shared")):
        match = re.search(rf"\b{key}:(\d+)", usage)
        setattr(report, attr, int(match.group(1)) if match else 0)
    return compiled.asm["ptx"]


def _disassemble(ptxs: list[str]) -> list[str]:
    """SASS of each PTX kernel. The disassembler costs ~0.6 s a call whatever the size, so the
    kernels are renamed, put in one PTX module, assembled by ptxas once and disassembled once."""
    header, bodies = [], []
    for i, ptx in enumerate(ptxs):
        lines = ptx.splitlines()
        header = [line for line in lines if line.startswith((".version", ".target", ".address"))]
        body = "\n".join(line for line in lines if line not in header)
        name = re.search(r"\.entry\s+(\w+)\(", body).group(1)
        body = body.replace(f".entry {name}(", f".entry audit_{i}(")
        body = body.replace(f"{name}_param_", f"audit_{i}_param_")
        for symbol in set(_MODULE_SYMBOL.findall(body)):  # e.g. libdevice's _$_str
            body = re.sub(rf"(?<![\w$]){re.escape(symbol)}(?![\w$])", f"{symbol}_{i}", body)
        bodies.append(body)
    arch = header[1].split()[1]
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "all.ptx"), os.path.join(tmp, "all.cubin")
        with open(src, "w") as f:
            f.write("\n".join([*header, *bodies]))
        subprocess.run([_tool("ptxas"), f"--gpu-name={arch}", src, "-o", out], check=True,
                       capture_output=True)
        sass = subprocess.run([_tool("cuobjdump"), "--dump-sass", out], capture_output=True,
                              text=True, check=True).stdout
    per_kernel = dict(re.findall(r"Function : audit_(\d+)\n(.*?)(?=\n\s*Function : |\Z)", sass,
                                 re.S))
    return [per_kernel[str(i)] for i in range(len(ptxs))]


def audit_chunk(chunk: list[Case]) -> list[Report]:
    """Compile and read a list of cases of one arch."""
    reports = [Report(case) for case in chunk]
    compiled = [(r, ptx) for r in reports if (ptx := _compile(r.case, r)) is not None]
    if compiled:
        for (report, _), sass in zip(compiled, _disassemble([p for _, p in compiled])):
            for op, modifiers in _GLOBAL.findall(sass):
                attr = "widest_load" if op == "LDG" else "widest_store"
                setattr(report, attr, max(getattr(report, attr), _width(modifiers)))
            report.fp64 = sorted(set(_FP64.findall(sass)))
            report.mufu = sorted(set(_MUFU.findall(sass)))
    return reports


def run(selected: list[Case], jobs: int | None = None) -> list[Report]:
    """Audit ``selected`` in parallel chunks (compiles are CPU-bound and independent)."""
    assert os.environ.get("TRITON_INTERPRET", "0") in ("", "0"), \
        "the audit compiles real kernels: run it without TRITON_INTERPRET"
    # no line info: the PTX of many kernels then joins into one module (see _disassemble);
    # line info changes no instruction
    os.environ["TRITON_DISABLE_LINE_INFO"] = "1"
    jobs = jobs or os.cpu_count() or 1
    size = max(1, min(40, -(-len(selected) // jobs)))
    chunks = [c for arch in sorted({c.arch for c in selected})
              for group in [[c for c in selected if c.arch == arch]]
              for c in (group[i:i + size] for i in range(0, len(group), size))]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return [report for chunk in pool.map(audit_chunk, chunks) for report in chunk]


def table(reports: list[Report]) -> str:
    header = ["kernel", "op", "dtype", "index", "arch", "regs", "local B", "shared B",
              "LDG bits", "STG bits", "fp64", "MUFU", "gate"]
    rows = []
    for r in reports:
        c = r.case
        mufu = " ".join(m.removeprefix("MUFU.") for m in r.mufu) or "-"
        gate = "; ".join(r.violations()) or "ok"
        rows.append([c.kernel, c.op, c.dtype, "i64" if c.wide else "i32", f"sm_{c.arch}",
                     r.registers, r.local + r.stack, r.shared, r.widest_load, r.widest_store,
                     " ".join(r.fp64) or "none", mufu, gate])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(x).ljust(w) for x, w in zip(cells, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *map(line, rows)])


def summary(reports: list[Report]) -> str:
    """One row per op and arch: registers of the flat forward/backward kernels per dtype, the
    narrowest widest load/store of the flat kernels, fp64 in any kernel, MUFU use of the flat
    forward/backward kernels (integer division in the strided ones adds RCP), the gate; then
    each kernel that fails the gate, with why."""
    label = lambda c: f"gated {c.op}" if c.kernel.startswith("gated.") else c.op
    base = lambda c: c.kernel.split(".")[-1]  # forward, backward, forward_long, ...
    rows, keys = [], []
    for r in reports:
        if (label(r.case), r.case.arch) not in keys:
            keys.append((label(r.case), r.case.arch))
    for op, arch in keys:
        mine = [r for r in reports if label(r.case) == op and r.case.arch == arch]
        regs = {k: "/".join(str(r.registers) for r in mine
                            if base(r.case) == k and not r.case.wide)
                for k in ("forward", "backward")}
        flat = [r for r in mine if not r.case.kernel.endswith("_strided")]
        width = min(min(r.widest_load, r.widest_store) for r in flat) if flat else 0
        hot = [r for r in mine if base(r.case) in ("forward", "backward")]
        mufu = sorted({m.removeprefix("MUFU.") for r in hot for m in r.mufu})
        fp64 = sorted({f for r in mine for f in r.fp64})
        gate = "ok" if not any(r.violations() for r in mine) else "FAIL"
        rows.append([op, f"sm_{arch}", regs["forward"], regs["backward"], width,
                     max(r.local + r.stack for r in mine), " ".join(fp64) or "none",
                     " ".join(mufu) or "-", gate])
    header = ["op", "arch", "fwd regs (fp32/fp16/bf16)", "bwd regs", "LDG/STG bits",
              "spill B", "fp64", "MUFU", "gate"]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(x).ljust(w) for x, w in zip(cells, widths)) + " |"
    failures = [f"FAIL {describe(r.case)}: {'; '.join(r.violations())}" for r in reports
                if r.violations()]
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *map(line, rows), *failures])


def describe(case: Case) -> str:
    """``backward mish fp16 i32 sm_80``: one kernel of the audit."""
    return (f"{case.kernel} {case.op} {case.dtype} {'i64' if case.wide else 'i32'} "
            f"sm_{case.arch}")


def to_json(reports: list[Report]) -> list[dict]:
    return [{**asdict(r), "violations": r.violations()} for r in reports]
