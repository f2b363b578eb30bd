"""The one markdown table printer: ``python -m tritonact``'s tables, the kernel audit's and the
benchmark report's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def markdown_table(header: Sequence[object], rows: Iterable[Sequence[object]], *,
                   padded: bool = True) -> str:
    """A markdown table of ``header`` and ``rows``, each cell ``str()``-ed.

    Padded (the default), every column is as wide as its widest cell (left-aligned) and the rule
    under the header spans it, so the table also reads as plain text. ``padded=False`` leaves the
    cells as they are with a ``---`` rule: the benchmark report's form, whose rows are searched
    for as text (``| relu | bfloat16 | ...``).
    """
    header = [str(cell) for cell in header]
    body = [[str(cell) for cell in row] for row in rows]
    if not padded:
        line = lambda cells: "| " + " | ".join(cells) + " |"
        rule = "|" + "|".join("---" for _ in header) + "|"
    else:
        widths = [max(map(len, column)) for column in zip(header, *body)]
        line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
        rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *map(line, body)])
