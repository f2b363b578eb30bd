"""Progress on stderr for the command line's long runs (``verify``, ``bench``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def progress(items: Sequence[T], label: Callable[[T], str], name: str,
             unit: str = "step") -> Iterator[T]:
    """Each of ``items`` in turn, announced on stderr as its work starts: tqdm's bar (counting
    ``unit``s) on a terminal where tqdm is installed, else one line per item
    (``name [3/40] label``)."""
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is None or not sys.stderr.isatty():
        for i, item in enumerate(items, 1):
            print(f"{name} [{i}/{len(items)}] {label(item)}", file=sys.stderr, flush=True)
            yield item
        return
    bar = tqdm(items, desc=name, unit=unit, file=sys.stderr, dynamic_ncols=True)
    for item in bar:
        bar.set_postfix_str(label(item), refresh=False)
        yield item
