"""Write ``tritonact/core/fewbit_levels.py``: the few-bit boundaries and levels of every smooth
op at its default parameters, for 1 to 4 bits (``tritonact.core.fewbit.derive``: dynamic
programming over a fine grid, standard normal weight). ``tests/test_fewbit.py`` re-derives them.

    python tools/fewbit_levels.py
"""

from __future__ import annotations

import pathlib
import textwrap

HEADER = '''"""Few-bit boundaries and levels of the smooth ops at their default parameters,
written by ``tools/fewbit_levels.py`` (``tritonact.core.fewbit.derive``; do not edit by hand).

``LEVELS[key, bits]``: (the ``2**bits - 1`` boundaries, the ``2**bits`` levels).
"""

LEVELS: dict[tuple[str, int], tuple[tuple[float, ...], tuple[float, ...]]] = {
'''


def _floats(values: tuple[float, ...]) -> str:
    """A tuple of floats, wrapped to leave room for the closing "),", indented eight spaces."""
    text = "(" + ", ".join(map(repr, values)) + ("," if len(values) == 1 else "") + ")"
    return textwrap.fill(text, 98, initial_indent=" " * 8, subsequent_indent=" " * 9)


def main() -> None:
    from tritonact.checks import fewbit

    lines = [HEADER]
    for (key, bits), (boundaries, levels) in sorted(fewbit.derive_defaults().items()):
        lines.append(f"    ({key!r}, {bits}): (\n{_floats(boundaries)},\n{_floats(levels)}),\n")
    lines.append("}\n")
    root = pathlib.Path(__file__).resolve().parent.parent
    path = root / "tritonact" / "core" / "fewbit_levels.py"
    path.write_text("".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
