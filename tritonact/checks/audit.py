"""Kernel audit: compile every kernel the registry launches for Hopper (sm_90) and Ampere (sm_80)
on the CPU, the way a real launch specializes it, and read the machine code.

Per kernel: registers, stack and local memory (spills), shared memory, the widest global load and
store, any fp64 instruction, and the special-function (MUFU) instructions; and a static
issue-rate model: instructions, MUFU ops and global-memory bytes per element, their ratio to the
issue ceiling of an H200 and an H100, and the occupancy the registers allow. Must run without
``TRITON_INTERPRET`` (the interpreter replaces ``@triton.jit``); ``python -m tritonact audit``
re-runs itself in a clean subprocess when the variable is set.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field

from tritonact.core.audit_case import (
    REGISTER_CEILINGS,
    SM90_GPUS,
    WARP_LANES,
    Case,
    Gpu,
    Launch,
    occupancy,
)
from tritonact.core.table import markdown_table

_FP64 = re.compile(r"\b(D(?:ADD|MUL|FMA|SETP|MNMX|SET)|F2F\.F64\.\S+|F2F\.\S+\.F64|I2F\.F64\S*|"
                   r"F2I\S*\.F64\S*|MUFU\.\w+64H)\b")
_MUFU = re.compile(r"\bMUFU\.[A-Z0-9]+\b")
_GLOBAL = re.compile(r"\b(LDG|STG)((?:\.[A-Z0-9_]+)*)")
_MODULE_SYMBOL = re.compile(r"^\.global\s+(?:\.align\s+\d+\s+)?(?:\.\w+\s+)*([A-Za-z_$][\w$]*)",
                            re.M)


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
    num_warps: int = 0
    #: elements a thread produces; instructions, MUFU ops and global-memory bytes a thread
    #: executes (loops counted as often as they run), from the SASS
    elements_per_thread: float = 0.0
    instructions: float = 0.0
    mufu_ops: float = 0.0
    bytes: float = 0.0

    def per_element(self, count: float) -> float:
        return count / self.elements_per_thread if self.elements_per_thread else 0.0

    @property
    def instructions_per_element(self) -> float:
        return self.per_element(self.instructions)

    @property
    def mufu_per_element(self) -> float:
        return self.per_element(self.mufu_ops)

    @property
    def bytes_per_element(self) -> float:
        return self.per_element(self.bytes)

    def ceiling_ratio(self, gpu: Gpu) -> float | None:
        """The share of ``gpu``'s issue ceiling this kernel uses while its memory runs at full
        bandwidth: the larger of its instructions and its MUFU ops per byte, each over what the
        GPU issues per byte. None for code not built for that GPU (sm_80) or moving no bytes."""
        if self.case.arch != 90 or not self.bytes:
            return None
        return max(self.instructions / self.bytes / gpu.instructions_per_byte(),
                   self.mufu_ops / self.bytes / gpu.mufu_per_byte())

    @property
    def occupancy(self) -> float:
        if not self.num_warps:
            return 0.0
        return occupancy(self.registers, self.num_warps, self.shared, self.case.arch)

    def violations(self) -> list[str]:
        """What breaks the gate, less the exceptions stated beside the kernel: for every op, for
        one op (``"<kernel> <op>"``) or, row-wise, for one row length (``"<kernel> <columns>"``).
        Checks: ``fp64``, ``spills``, ``registers``, ``load_width``, ``store_width`` (an
        exception for ``vector_width`` waives both) and ``issue_rate``."""
        if self.error:
            return [f"does not compile: {self.error}"]
        name = self.case.kernel_name
        exceptions = getattr(importlib.import_module(self.case.module), "AUDIT_EXCEPTIONS", {})
        waived = {k: v for key in (name, f"{name} {self.case.op}", f"{name} {self.case.columns}")
                  for k, v in exceptions.get(key, {}).items()}
        found = {}
        if self.case.dtype != "fp64" and self.fp64:
            found["fp64"] = f"fp64 instructions {self.fp64} in a {self.case.dtype} kernel"
        if self.local or self.stack:
            found["spills"] = f"local {self.local} B, stack {self.stack} B"
        ceiling = REGISTER_CEILINGS[self.case.arch]
        if self.registers > ceiling:
            found["registers"] = (f"{self.registers} registers > {ceiling} "
                                  f"(sm_{self.case.arch}'s ceiling)")
        if self.widest_load != 128:
            found["load_width"] = f"widest load {self.widest_load} bits (128 expected)"
        if self.widest_store != 128:
            found["store_width"] = f"widest store {self.widest_store} bits (128 expected)"
        if "vector_width" in waived:  # both widths
            waived.update(load_width=waived["vector_width"], store_width=waived["vector_width"])
        ratio = self.ceiling_ratio(SM90_GPUS[0])
        if self.case.dtype != "fp64" and ratio is not None and ratio > self.case.goal:
            found["issue_rate"] = (f"{ratio:.2f} > {self.case.goal} of the "
                                   f"{SM90_GPUS[0].name}'s issue ceiling "
                                   f"({self.instructions_per_element:.1f} instructions, "
                                   f"{self.bytes_per_element:g} B an element)")
        return [v for k, v in found.items() if k not in waived]


def cases(ops: list[str] | None = None, archs=(90, 80), dtypes=("fp32", "fp16", "bf16"),
          full=True) -> list[Case]:
    """Every kernel the registry's ops launch (each op's ``audit_cases``): for the elementwise
    family, each op's forward and backward in each dtype with the int32 index path, plus (fp32)
    the int64 path, the strided kernels and the double backward; ``full=False`` keeps only the
    first list (a faster gate)."""
    from tritonact.registry import SPECS

    return [case for spec in SPECS if not ops or spec.name in ops
            for case in spec.audit_cases(tuple(archs), tuple(dtypes), full)]


_TRITON_TYPES = {"torch.float32": "fp32", "torch.float16": "fp16", "torch.bfloat16": "bf16",
                 "torch.float64": "fp64", "torch.int64": "i64", "torch.int32": "i32",
                 "torch.uint8": "u8"}


def signature(launch: Launch) -> tuple[dict, dict, dict]:
    """(argument types, constexprs, attributes) of a launch as Triton specialises it at run
    time: a tensor is a pointer with 16-byte alignment, an integer 1 a constant, an integer
    that is a multiple of 16 carries the divisibility hint, one past int32's range is int64 (as
    is an argument annotated ``tl.int64``), a float is fp32."""
    params = inspect.signature(launch.kernel.fn).parameters.values()
    values = dict(zip((p.name for p in params), launch.args))
    types, constexprs, attrs = {}, {}, {}
    for i, param in enumerate(params):
        name = param.name
        if name in launch.meta or name not in values:  # a constexpr (or its default)
            types[name], constexprs[name] = "constexpr", launch.meta.get(name, param.default)
            continue
        value = values[name]
        if hasattr(value, "dtype") and hasattr(value, "data_ptr"):  # a tensor
            types[name] = "*" + _TRITON_TYPES[str(value.dtype)]
            attrs[(i,)] = [["tt.divisibility", 16]]
        elif isinstance(value, float):
            types[name] = "fp32"
        elif "int64" in str(param.annotation):
            types[name] = "i64"
        elif value == 1:
            types[name], constexprs[name] = "constexpr", 1
        else:
            types[name] = "i32" if -2**31 <= value < 2**31 else "i64"
            if value % 16 == 0:
                attrs[(i,)] = [["tt.divisibility", 16]]
    return types, constexprs, attrs


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
    """Compile one case; fill its resource usage from the cubin. Returns the PTX and the trip
    count of its loops (or None)."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    from tritonact.registry import OPS

    try:
        launch = OPS[case.spec].audit_launch(case)
        work = launch.work
        types, constexprs, attrs = signature(launch)
        source = ASTSource(fn=launch.kernel, signature=types, constexprs=constexprs, attrs=attrs)
        compiled = triton.compile(source, target=GPUTarget("cuda", case.arch, 32),
                                  options={"num_warps": work.num_warps})
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
    report.shared = max(report.shared, compiled.metadata.shared)  # Triton's is dynamic
    report.num_warps = work.num_warps
    report.elements_per_thread = work.elements / (work.num_warps * WARP_LANES)
    return compiled.asm["ptx"], work.trips


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


_INSTRUCTION = re.compile(r"/\*([0-9a-f]{4,})\*/\s+(?:@!?U?P\w+\s+)?([A-Z0-9_.]+)([^;]*);")


def executed(sass: str, trips: int) -> list[tuple[str, str, int]]:
    """(opcode, operands, times a thread runs it) for each instruction of one kernel's SASS.
    A backward branch closes a loop, whose instructions run ``trips`` times; NOPs (alignment
    padding) and the branch-to-self after the last EXIT never run. Every other instruction
    counts once, whichever way a branch goes: an upper bound, exact for straight-line code."""
    code = [(int(a, 16), op, rest) for a, op, rest in _INSTRUCTION.findall(sass) if op != "NOP"]
    loops = []
    for address, op, rest in code:
        target = re.match(r"\s*(0x[0-9a-f]+)", rest)
        if op.startswith("BRA") and target and int(target.group(1), 16) < address:
            loops.append((int(target.group(1), 16), address))
    out = []
    for address, op, rest in code:
        target = re.match(r"\s*(0x[0-9a-f]+)", rest)
        if op.startswith("BRA") and target and int(target.group(1), 16) == address:
            continue
        times = trips ** sum(start <= address <= end for start, end in loops)
        out.append((op, rest, times))
    return out


def _count(report: Report, sass: str, trips: int) -> None:
    """Fill a report's instruction, MUFU and global-memory byte counts per thread."""
    for op, _, times in executed(sass, trips):
        report.instructions += times
        if op.startswith("MUFU"):
            report.mufu_ops += times
        if op.split(".")[0] in ("LDG", "STG"):
            report.bytes += times * _width(op[3:]) / 8


def audit_chunk(chunk: list[Case]) -> list[Report]:
    """Compile and read a list of cases of one arch."""
    reports = [Report(case) for case in chunk]
    compiled = [(r, *out) for r in reports if (out := _compile(r.case, r)) is not None]
    if compiled:
        for (report, _, trips), sass in zip(compiled, _disassemble([p for _, p, _ in compiled])):
            _count(report, sass, trips)
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


def _ratio(report: Report, gpu: Gpu) -> str:
    ratio = report.ceiling_ratio(gpu)
    return "-" if ratio is None else f"{ratio:.2f}"


def table(reports: list[Report]) -> str:
    """One row per kernel: resources, the issue-rate model, the gate."""
    header = ["kernel", "op", "dtype", "index", "shape", "arch", "regs", "local B", "shared B",
              "LDG bits", "STG bits", "fp64", "MUFU", "warps", "occupancy", "instr/el",
              "MUFU/el", "B/el", *(f"x{g.name}" for g in SM90_GPUS), "gate"]
    rows = []
    for r in reports:
        c = r.case
        mufu = " ".join(m.removeprefix("MUFU.") for m in r.mufu) or "-"
        gate = "; ".join(r.violations()) or "ok"
        shape = f"{c.rows}x{c.columns}" if c.columns else "-"
        rows.append([c.kernel, c.op, c.dtype, "i64" if c.wide else "i32", shape,
                     f"sm_{c.arch}", r.registers, r.local + r.stack, r.shared, r.widest_load,
                     r.widest_store, " ".join(r.fp64) or "none", mufu, r.num_warps,
                     f"{r.occupancy:.0%}", f"{r.instructions_per_element:.1f}",
                     f"{r.mufu_per_element:.2f}", f"{r.bytes_per_element:g}",
                     *(_ratio(r, g) for g in SM90_GPUS), gate])
    return markdown_table(header, rows)


def _label(case: Case) -> str:
    """The summary row a case belongs to: its ``group`` (``gated silu``, ``softmax
    4096x1024``), else its op."""
    return case.group or case.op


def summary(reports: list[Report]) -> str:
    """One row per op and arch (a row-wise op: per row length): registers and instructions an
    element of the flat forward/backward kernels per dtype, the narrowest widest load/store of
    the flat kernels, fp64 in any kernel, MUFU use of the flat forward/backward kernels (integer
    division in the strided ones adds RCP), the largest share of each GPU's issue ceiling and
    the lowest occupancy among the flat forward/backward kernels in 16-bit and fp32, the gate;
    then each kernel that fails the gate, with why."""
    base = lambda c: role(c.kernel_name)  # forward, backward, forward_strided, second, ...
    keys = list(dict.fromkeys((_label(r.case), r.case.arch) for r in reports))
    rows = []
    for op, arch in keys:
        mine = [r for r in reports if _label(r.case) == op and r.case.arch == arch]
        hot = [r for r in mine if base(r.case) in ("forward", "backward") and not r.case.wide]
        regs = {k: "/".join(str(r.registers) for r in hot if base(r.case) == k)
                for k in ("forward", "backward")}
        instr = {k: "/".join(f"{r.instructions_per_element:.1f}" for r in hot
                             if base(r.case) == k) for k in ("forward", "backward")}
        flat = [r for r in mine if not r.case.kernel.endswith("_strided")]
        width = min(min(r.widest_load, r.widest_store) for r in flat) if flat else 0
        mufu = sorted({m.removeprefix("MUFU.") for r in hot for m in r.mufu})
        fp64 = sorted({f for r in mine for f in r.fp64})
        ratios = []
        for gpu in SM90_GPUS:
            found = [x for r in hot if (x := r.ceiling_ratio(gpu)) is not None]
            ratios.append(f"{max(found):.2f}" if found else "-")
        occupancies = [r.occupancy for r in hot]
        gate = "ok" if not any(r.violations() for r in mine) else "FAIL"
        rows.append([op, f"sm_{arch}", regs["forward"], regs["backward"], instr["forward"],
                     instr["backward"], *ratios,
                     f"{min(occupancies):.0%}" if occupancies else "-", width,
                     max(r.local + r.stack for r in mine), " ".join(fp64) or "none",
                     " ".join(mufu) or "-", gate])
    header = ["op", "arch", "fwd regs (fp32/fp16/bf16)", "bwd regs", "fwd instr/el", "bwd instr/el",
              *(f"max x{g.name}" for g in SM90_GPUS), "min occupancy", "LDG/STG bits", "spill B",
              "fp64", "MUFU", "gate"]
    failures = [f"FAIL {describe(r.case)}: {'; '.join(r.violations())}" for r in reports
                if r.violations()]
    return "\n".join([markdown_table(header, rows), *failures])


def role(kernel_name: str) -> str:
    """``forward`` or ``backward`` for a flat kernel, a row-wise split row's passes among them
    (``forward_chunk_stats``, ``backward_from_sums``); else the name (``forward_strided``,
    ``second``)."""
    return kernel_name if kernel_name.endswith("_strided") else kernel_name.split("_")[0]


def describe(case: Case) -> str:
    """``backward mish fp16 i32 sm_80``: one kernel of the audit."""
    columns = f" {case.rows}x{case.columns}" if case.columns else ""
    return (f"{case.kernel} {case.op}{columns} {case.dtype} {'i64' if case.wide else 'i32'} "
            f"sm_{case.arch}")


def to_json(reports: list[Report]) -> list[dict]:
    """Each report's fields, its model (per element, ceiling ratios, occupancy) and verdict."""
    return [{**asdict(r), "instructions_per_element": r.instructions_per_element,
             "mufu_per_element": r.mufu_per_element, "bytes_per_element": r.bytes_per_element,
             "ceiling_ratio": {g.name: r.ceiling_ratio(g) for g in SM90_GPUS},
             "occupancy": r.occupancy, "violations": r.violations()} for r in reports]
