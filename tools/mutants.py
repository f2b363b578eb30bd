"""The curated mutants of ``tools/mutate.py``: small, realistic bugs, each with the tests that
must catch it.

A mutant replaces ``original`` (which must occur exactly once in ``file``) by ``replacement``.
``tests`` are pytest node ids (a file, ``file::test``, or ``file::test[param]``); the mutant is
killed when one of them fails. ``status`` exempts a mutant from the run, with its ``reason``:
``equivalent`` (it cannot change a result) or ``gpu-only`` (only a GPU can show it). Grow the
list whenever a bug is found that the suite did not catch: the bug as a mutant, and the test
that now kills it. ``tests/test_mutants.py`` checks the list itself.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The statuses that exempt a mutant from the run.
EXEMPT = ("equivalent", "gpu-only")


@dataclass(frozen=True)
class Mutant:
    """One planted bug: where, what, why it matters, and which tests must fail on it."""

    id: str
    file: str
    original: str
    replacement: str
    why: str
    tests: tuple[str, ...]
    status: str | None = None
    reason: str = ""


PARITY = "tests/test_parity.py::test_parity"
GATED = "tests/test_gated.py"
SPECIAL = "tests/test_special.py::test_special_values_and_kinks"
SWITCH = "tests/test_switch.py"
DISTRIBUTED = "tests/test_distributed.py"
CANNOT_SERVE = f"{SWITCH}::test_what_the_switch_cannot_serve_is_torchs_own_kernel"
TWO_PASS = "tests/test_rowwise.py::test_two_pass_rows_in_every_layout"
BIASED = "tests/test_biased.py"
THIRD = "tests/test_thirdparty.py"
MODELS = "tests/test_models.py"
PATCHED = "test_patch_fuses_every_gated_mlp_and_unpatch_restores"
FEWBIT = "tests/test_fewbit.py"

MUTANTS: list[Mutant] = [
    # --- kernels: the math -------------------------------------------------------------------
    Mutant(
        "relu-backward-kink", "kernels/activations.py",
        "return tl.where(y <= 0.0, 0.0, g)  # threshold_backward",
        "return tl.where(y < 0.0, 0.0, g)  # threshold_backward",
        "relu'(0) is 0 in torch: a flipped comparison at the kink passes the gradient",
        (f"{SPECIAL}[relu-defaults-torch.float32]",)),
    Mutant(
        "hardtanh-backward-lower-bound", "kernels/activations.py",
        "return tl.where((y <= min_val) | (y >= max_val), 0.0, g)",
        "return tl.where((y < min_val) | (y >= max_val), 0.0, g)",
        "the gradient at the lower bound is 0 in torch",
        (f"{SPECIAL}[hardtanh-min_val=-1.0,max_val=1.0-torch.float32]",)),
    Mutant(
        "elu-backward-alpha", "kernels/activations.py",
        "return tl.where(x <= 0.0, g * alpha * tl.exp(x), g)",
        "return tl.where(x <= 0.0, g * tl.exp(x), g)",
        "a constant lost in one backward: right only at alpha = 1",
        (f"{PARITY}[elu-alpha=0.5-torch.float32]",)),
    Mutant(
        "selu-backward-scale", "kernels/activations.py",
        "tl.exp(x) * g * SELU_SCALE * SELU_ALPHA, g * SELU_SCALE)",
        "tl.exp(x) * g * SELU_SCALE * SELU_ALPHA, g)",
        "the positive branch of selu's gradient loses its scale",
        (f"{PARITY}[selu-defaults-torch.float32]",)),
    Mutant(
        "gelu-tanh-backward-constant", "kernels/activations.py",
        "inner_grad = (1.0 + x * x * 3.0 * GELU_KAPPA) * SQRT_2_OVER_PI",
        "inner_grad = (1.0 + x * x * GELU_KAPPA) * SQRT_2_OVER_PI",
        "the derivative of x^3 loses its 3: a wrong constant in one backward",
        (f"{PARITY}[gelu-approximate=tanh-torch.float32]",)),
    Mutant(
        "gelu-second-constant", "kernels/activations.py",
        "return gg * g * pdf * (2.0 - x * x)",
        "return gg * g * pdf * (1.0 - x * x)",
        "a wrong second derivative (double backward kernel)",
        ("tests/test_gradcheck.py::test_double_backward_matches_torch[gelu-approximate=none]",)),
    Mutant(
        "glu-gate-backward", "kernels/activations.py",
        "return g * s * (1.0 - s)",
        "return g * s",
        "GLU's gate gradient (sigmoid's, from its input) loses a factor",
        ("tests/test_gated.py::test_parity[glu-none-torch.float32]",)),
    Mutant(
        "mish-backward-constant", "kernels/activations.py",
        "slope = (n * d + (x * e) * 4.0 * (1.0 + e)) / (d * d)",
        "slope = (n * d + (x * e) * 2.0 * (1.0 + e)) / (d * d)",
        "a wrong constant in mish's fused gradient",
        (f"{PARITY}[mish-defaults-torch.float32]",)),
    Mutant(
        "hardswish-backward-kink", "kernels/activations.py",
        "return tl.where(x <= -3.0, 0.0, tl.where(x < 3.0, g * (x / 3.0 + 0.5), g))",
        "return tl.where(x < -3.0, 0.0, tl.where(x < 3.0, g * (x / 3.0 + 0.5), g))",
        "hardswish'(-3) is 0 in torch: a flipped comparison at the kink",
        (f"{SPECIAL}[hardswish-defaults-torch.float32]",)),
    Mutant(
        "shrink-backward-kink", "kernels/activations.py",
        "return tl.where((x >= -lambd) & (x <= lambd), 0.0, g)",
        "return tl.where((x > -lambd) & (x <= lambd), 0.0, g)",
        "the shrinks' gradient at -lambd is 0 in torch",
        (f"{SPECIAL}[hardshrink-lambd=0.5-torch.float32]",)),
    Mutant(
        "tanh-series-coefficient", "kernels/math.py",
        "p = p * x2 + 2.0 / 15.0",
        "p = p * x2 + 2.0 / 16.0",
        "a wrong coefficient of tanh's series (|x| < 0.4): every tanh-based op drifts",
        (f"{PARITY}[tanh-defaults-torch.float32]",)),
    # --- kernels: addressing and reductions ----------------------------------------------------
    Mutant(
        "elementwise-mask-off-by-one", "kernels/elementwise.py",
        "    idx = block_indices(BLOCK, WIDE)\n    mask = idx < n\n"
        "    x = load(x_ptr, idx, mask)\n    y = FORWARD(",
        "    idx = block_indices(BLOCK, WIDE)\n    mask = idx <= n\n"
        "    x = load(x_ptr, idx, mask)\n    y = FORWARD(",
        "the flat forward writes one element past the tensor: in place on a slice, the element "
        "after it",
        ("tests/test_api.py::test_inplace_on_a_slice_leaves_the_rest_of_the_storage_alone",)),
    Mutant(
        "strided-offsets-stride-swap", "kernels/elementwise.py",
        "return i0 * stride0 + i1 * stride1 + i2 * stride2 + i3 * stride3",
        "return i0 * stride0 + i1 * stride2 + i2 * stride1 + i3 * stride3",
        "a wrong stride in the strided kernels' index arithmetic",
        (f"{PARITY}[silu-defaults-torch.float32]",)),
    Mutant(
        "strided-backward-gradient-strides", "kernels/elementwise.py",
        "_offsets(idx, size1, size2, size3, gs0, gs1, gs2, gs3)",
        "_offsets(idx, size1, size2, size3, ts0, ts1, ts2, ts3)",
        "the upstream gradient read with the saved tensor's strides (an expanded gradient)",
        (f"{PARITY}[silu-defaults-torch.float32]",)),
    Mutant(
        "two-pass-rescale-lost", "kernels/rowwise.py",
        "group_sum = group_sum * scale + ",
        "group_sum = group_sum + ",
        "the online softmax forgets to rescale its running sum when the max grows",
        (f"{TWO_PASS}[per-row-softmax]",)),
    Mutant(
        "two-pass-backward-gradient-stride", "kernels/rowwise.py",
        "dy = _load_zero(dy_ptr, g_row, cols + begin, g_col, mask, ACC_DTYPE, \"evict_first\")",
        "dy = _load_zero(dy_ptr, g_row, cols + begin, y_col, mask, ACC_DTYPE, \"evict_first\")",
        "the two-pass backward reads dy with y's column stride: right only when the upstream "
        "gradient is laid out as the output",
        (f"{TWO_PASS}[per-row-softmax]",)),
    Mutant(
        "split-combine-rescale-lost", "kernels/rowwise.py",
        "                        part_sum * tl.exp(part_max - m[:, None]))",
        "                        part_sum)",
        "partial sums (a row's chunks, a tile's groups) added without rescaling each to the "
        "row's max: right only where every part has the same max",
        (f"{TWO_PASS}[split-softmax]",)),
    Mutant(
        "split-last-chunk-dropped", "kernels/rowwise.py",
        "    present = ids < n_chunks\n",
        "    present = ids < n_chunks - 1\n",
        "a split row's stats combined without its last chunk: its max and sum miss a partial "
        "tile's elements (a +inf there)",
        (f"{TWO_PASS}[split-softmax]",
         "tests/test_rowwise.py::test_special_values_in_long_rows[softmax-split-torch.float32]")),
    Mutant(
        "split-backward-first-chunk-only", "kernels/rowwise.py",
        "mask=ids < n_chunks,\n",
        "mask=ids < 1,\n",
        "a split row's gradient sum taken from its first chunk alone",
        (f"{TWO_PASS}[split-softmax]",)),
    Mutant(
        "split-chunk-grid-short", "autograd/rowwise.py",
        "    grid = (n_chunks, n_rows)\n",
        "    grid = (n_chunks - 1, n_rows)\n",
        "one chunk too few a row: a split row's last chunk is never written",
        ("tests/test_rowwise.py::test_few_long_rows_split_to_fill_the_gpu",)),
    Mutant(
        "rowwise-masked-lanes", "kernels/rowwise.py",
        "mask=mask, other=fill,",
        "mask=mask, other=0.0,",
        "masked lanes of a short row take part in its max and sum",
        ("tests/test_rowwise.py::test_dtype_argument_casts_inside_the_kernel"
         "[softmax-torch.float16-torch.float32]",)),
    Mutant(
        "rowwise-row-base-strides", "kernels/rowwise.py",
        "return (rest // size1) * stride0 + (rest % size1) * stride1 + i2 * stride2",
        "return (rest // size1) * stride1 + (rest % size1) * stride0 + i2 * stride2",
        "rows of a 3-d layout addressed with swapped outer strides",
        ("tests/test_rowwise.py::test_more_than_three_uncoalescable_other_dims",)),
    Mutant(
        "gated-backward-up-gradient", "kernels/gated.py",
        "dup = dy * ACT(gate, pa, pb)",
        "dup = dy * gate",
        "dup = act(gate) * dy loses the activation",
        ("tests/test_gated.py::test_parity[swiglu-none-torch.float32]",)),
    Mutant(
        "prelu-weight-partial-sum", "kernels/prelu.py",
        "acc += tl.where(mask, WEIGHT_BACKWARD(g, x), 0.0)",
        "acc = tl.where(mask, WEIGHT_BACKWARD(g, x), 0.0)",
        "a lost partial sum: the weight gradient keeps only a program's last row block",
        ("tests/test_learnable.py::"
         "test_prelu_weight_gradient_across_many_programs_and_a_long_row_loop",)),
    Mutant(
        "rrelu-counters-per-program", "kernels/randomized.py",
        "counters = pid * (BLOCK // 4) + tl.arange(0, BLOCK // 4)",
        "counters = pid + tl.arange(0, BLOCK // 4)",
        "Philox counters overlap between programs: neighbouring blocks repeat their slopes",
        ("tests/test_learnable.py::"
         "test_rrelu_training_slopes_bounds_distribution_and_backward[torch.float32]",)),
    # --- launchers -----------------------------------------------------------------------------
    Mutant(
        "elementwise-wide-decision", "autograd/elementwise.py",
        "wide = max(n, *(max_offset(sizes, s) for s in strides)) + block_size(out.dtype) > "
        "INT32_LIMIT",
        "wide = n + block_size(out.dtype) > INT32_LIMIT",
        "a stepped view of a 2**31-element tensor has few elements but offsets past 2**31: "
        "32-bit offsets wrap (a segfault on the GPU)",
        ("tests/test_wide_index.py::test_stepped_elementwise_view",)),
    Mutant(
        "rowwise-wide-decision", "autograd/rowwise.py",
        "wide = max(extent, out.numel()) + rows * block > INT32_LIMIT",
        "wide = out.numel() + rows * block > INT32_LIMIT",
        "the row-wise launcher's 64-bit decision ignores the strided extent",
        ("tests/test_wide_index.py::test_rowwise_on_a_stepped_matrix",)),
    Mutant(
        "gated-wide-decision", "autograd/gated.py",
        "WIDE=max(extent, grid[0] * size) > INT32_LIMIT)",
        "WIDE=grid[0] * size > INT32_LIMIT)",
        "halves of a fused projection reach twice as far as the output: the decision must "
        "read the inputs' extent",
        ("tests/test_wide_index.py::test_gated_halves_of_a_wide_matrix",)),
    Mutant(
        "prelu-wide-decision", "autograd/prelu.py",
        "wide = max(extent, n * c * s) + tile.rows + block > INT32_LIMIT",
        "wide = n * c * s + tile.rows + block > INT32_LIMIT",
        "PReLU's 64-bit decision ignores a stepped input's extent",
        ("tests/test_wide_index.py::test_prelu_on_a_stepped_view",)),
    Mutant(
        "elementwise-backward-flat-layouts", "autograd/elementwise.py",
        "if g.stride() == t.stride() == dx.stride() and is_dense(t):",
        "if g.stride() == dx.stride() and is_dense(t):",
        "the flat backward runs when the saved tensor's layout differs from the gradient's "
        "(silu's gradient follows the upstream gradient; relu's the saved tensor)",
        (f"{PARITY}[silu-defaults-torch.float32]",)),
    Mutant(
        "elementwise-forward-flat-layouts", "autograd/elementwise.py",
        "if x.is_contiguous() or (y.stride() == x.stride() and is_dense(x)):",
        "if x.is_contiguous() or is_dense(x):",
        "logsigmoid's result is contiguous whatever the input's layout: the flat kernel would "
        "write it in the input's order",
        (f"{PARITY}[logsigmoid-defaults-torch.float32]",)),
    Mutant(
        "coalesce-any-operand", "autograd/launch.py",
        "if sizes and all(m[-1] == s[d] * shape[d] for m, s in zip(merged, strides)):",
        "if sizes and any(m[-1] == s[d] * shape[d] for m, s in zip(merged, strides)):",
        "dims merged when only one operand allows it",
        (f"{PARITY}[silu-defaults-torch.float32]",)),
    Mutant(
        "is-dense-extent", "autograd/launch.py",
        "        expected *= size\n    return True",
        "        expected += size\n    return True",
        "dense layouts misjudged: channels_last and permuted tensors lose the flat kernel",
        ("tests/test_api.py::test_dense_layouts_take_the_flat_kernel_and_keep_their_strides",)),
    Mutant(
        "overlap-zero-stride", "autograd/launch.py",
        "        if stride <= extent:",
        "        if stride < extent:",
        "an expanded tensor is written in place where torch raises",
        ("tests/test_edges.py::test_inplace_on_overlapping_memory_is_torchs",)),
    Mutant(
        "bf16-rounding-ties", "autograd/launch.py",
        "bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000",
        "bits = (bits + 0x7FFF) & 0xFFFF0000",
        "bf16 parameters rounded half down instead of to even, unlike torch",
        ("tests/test_edges.py::test_parameters_round_as_torch_casts_them",)),
    Mutant(
        "prelu-weight-stride", "autograd/prelu.py",
        "w_stride = 0 if weight.numel() == 1 else weight.stride(0)",
        "w_stride = 0 if weight.numel() == 1 else 1",
        "a sliced weight read as if contiguous",
        ("tests/test_learnable.py::test_prelu_weight_views_and_output_layouts",)),
    Mutant(
        "prelu-partials-of-one-split", "autograd/prelu.py",
        "partial.view(grid[1], -1, tiles_s, block_c).sum((0, 2))",
        "partial.view(grid[1], -1, tiles_s, block_c)[0].sum(1)",
        "the weight gradient sums the partials of the first split of N only",
        ("tests/test_learnable.py::"
         "test_prelu_weight_gradient_across_many_programs_and_a_long_row_loop",)),
    Mutant(
        "rrelu-gradient-layout", "autograd/randomized.py",
        "if g.stride() != t.stride():",
        "if g.shape != t.shape:",
        "an upstream gradient in another layout is read in the saved tensor's order: each "
        "element gets another element's slope",
        ("tests/test_learnable.py::test_rrelu_training_on_views_in_place_and_under_gradcheck",)),
    Mutant(
        "rrelu-inplace-saves-overwritten-input", "autograd/randomized.py",
        "saved = x if lower > 0 else x.clone()",
        "saved = x",
        "in place with lower <= 0 the output's sign is not the input's: backward needs the "
        "input",
        ("tests/test_learnable.py::test_rrelu_training_on_views_in_place_and_under_gradcheck",)),
    # --- autograd ------------------------------------------------------------------------------
    Mutant(
        "gated-create-graph-swap", "autograd/gated.py",
        "    first, second = (dgate, dup) if gate_first else (dup, dgate)\n",
        "    first, second = (dup, dgate) if gate_first else (dgate, dup)\n",
        "create_graph=True: the gate and up gradients trade places; gradgradcheck compares "
        "the path only with itself",
        ("tests/test_create_graph.py::test_gated_both_forms_and_split_dims",)),
    Mutant(
        "gated-mul-create-graph-swap", "autograd/gated.py",
        "    return torch.autograd.grad(out, (gate, up), dy, create_graph=True)",
        "    return torch.autograd.grad(out, (gate, up), dy, create_graph=True)[::-1]",
        "create_graph=True in the two-tensor form: dgate and dup swapped",
        ("tests/test_create_graph.py::test_gated_both_forms_and_split_dims",)),
    Mutant(
        "prelu-create-graph-upstream", "autograd/prelu.py",
        "grads = iter(torch.autograd.grad(out, wrt, g, create_graph=True))",
        "grads = iter(torch.autograd.grad(out, wrt, torch.ones_like(g), create_graph=True))",
        "create_graph=True ignores the upstream gradient: consistent with its own derivative, "
        "so gradgradcheck passes",
        ("tests/test_create_graph.py::test_prelu_input_and_weight",)),
    Mutant(
        "elementwise-create-graph-parameters", "autograd/elementwise.py",
        "dx = ElementwiseBackward.apply(g, t, ctx.math, ctx.a, ctx.b)",
        "dx = ElementwiseBackward.apply(g, t, ctx.math, ctx.a, ctx.a)",
        "create_graph=True passes the wrong second parameter (hardtanh's max, softplus' "
        "threshold) to a backward that differentiates consistently",
        ("tests/test_create_graph.py::test_elementwise",)),
    Mutant(
        "rowwise-create-graph-dim", "autograd/rowwise.py",
        "dx = RowwiseBackward.apply(dy, y, ctx.math, ctx.dim, ctx.in_dtype, ctx.stride)",
        "dx = RowwiseBackward.apply(dy, y, ctx.math, y.dim() - 1, ctx.in_dtype, ctx.stride)",
        "create_graph=True reduces over the last dim whatever dim the forward took",
        ("tests/test_create_graph.py::test_rowwise_every_dim",)),
    Mutant(
        "rowwise-second-softmin-sign", "autograd/rowwise.py",
        "return sign * ddy, sign * dyy, None, None, None",
        "return ddy, dyy, None, None, None",
        "softmin's double backward loses its sign",
        ("tests/test_rowwise.py::test_gradcheck_and_gradgradcheck[softmin]",)),
    Mutant(
        "elementwise-second-upstream", "kernels/elementwise.py",
        "store(dg_ptr, idx, BACKWARD(gg, t, a, b), mask)",
        "store(dg_ptr, idx, BACKWARD(g, t, a, b), mask)",
        "double backward's gradient with respect to the upstream gradient reads the wrong "
        "operand",
        ("tests/test_gradcheck.py::test_gradcheck_and_gradgradcheck[silu-defaults]",)),
    Mutant(
        "inplace-saves-overwritten-input", "autograd/elementwise.py",
        "saved_input = x.clone() if inplace and not saves_output else x",
        "saved_input = x",
        "in place, backward reads the overwritten input",
        ("tests/test_api.py::test_inplace_gradients_on_a_non_leaf",)),
    Mutant(
        "inplace-mark-dirty-lost", "autograd/elementwise.py",
        "        if inplace:\n            ctx.mark_dirty(y)\n",
        "",
        "in place without mark_dirty: the result is a new alias and the input's history is "
        "not rebased",
        ("tests/test_api.py::test_every_inplace_entry_point_bumps_the_version",)),
    Mutant(
        "rrelu-mark-dirty-lost", "autograd/randomized.py",
        "            ctx.mark_dirty(x)\n",
        "            pass\n",
        "rrelu_ in training with autograd, without mark_dirty",
        ("tests/test_api.py::test_every_inplace_entry_point_bumps_the_version",)),
    Mutant(
        "rrelu-version-bump-lost", "tritonact/families/randomized.py",
        "        y = randomized.run(m, input, lower, upper, inplace)[0]\n"
        "        if inplace and not is_compiling():\n"
        "            increment_version(input)\n",
        "        y = randomized.run(m, input, lower, upper, inplace)[0]\n",
        "rrelu_ in training without autograd skips the version bump: a tensor saved earlier "
        "is modified silently where torch raises",
        ("tests/test_api.py::test_every_inplace_entry_point_bumps_the_version",)),
    Mutant(
        "elementwise-version-bump-lost", "tritonact/families/elementwise_function.py",
        "        y = run_forward(m, input, a, b, inplace)\n"
        "        if inplace and not is_compiling():\n"
        "            increment_version(input)\n",
        "        y = run_forward(m, input, a, b, inplace)\n",
        "in place without autograd skips the version bump",
        ("tests/test_api.py::test_inplace_writes_into_the_input",)),
    Mutant(
        "gated-gradient-halves", "autograd/gated.py",
        "dgate, dup = halves(dx, ctx.dim, ctx.gate_first, ctx.interleaved)",
        "dgate, dup = halves(dx, ctx.dim, not ctx.gate_first, ctx.interleaved)",
        "the gradient's halves written into the wrong half",
        ("tests/test_gated.py::test_parity[swiglu-none-torch.float32]",)),
    Mutant(
        "prelu-needs-grad-swapped", "autograd/prelu.py",
        "need_x, need_w = ctx.needs_input_grad[:2]",
        "need_w, need_x = ctx.needs_input_grad[:2]",
        "the gradient asked for is skipped when only one is needed",
        ("tests/test_learnable.py::"
         "test_prelu_one_launch_each_way_and_only_the_gradients_asked_for",)),
    Mutant(
        "leaf-view-in-place", "tritonact/families/base.py",
        "return x.is_leaf or (x._is_view() and x._base.is_leaf and x._base.requires_grad)",
        "return x.is_leaf",
        "in place on a view of a leaf that requires grad is written where torch raises",
        ("tests/test_api.py::test_inplace_on_a_leaf_raises_torchs_error_and_leaves_it_alone",)),
    Mutant(
        "rrelu-eval-slope", "tritonact/families/randomized.py",
        "return slope_fn(input, (lower + upper) / 2, inplace)",
        "return slope_fn(input, lower, inplace)",
        "rrelu in eval takes the lower bound, not the mean slope",
        ("tests/test_learnable.py::test_rrelu_eval_parity[torch.float32]",)),
    # --- the switch ----------------------------------------------------------------------------
    Mutant(
        "switch-outermost-block", "tritonact/integrations/switch/state.py",
        "            _blocks[:] = [b for b in _blocks if b[0] is not token]\n"
        "            _settle()",
        "            _blocks[:] = [b for b in _blocks if b[0] is not token]\n"
        "            _apply(_blocks[0][1] if _blocks else _outside)",
        "leaving a block restores the outermost open block instead of the innermost (the same "
        "block at two deep)",
        (f"{SWITCH}::test_use_blocks_three_deep_in_and_out_of_order",)),
    Mutant(
        "switch-enable-inside-block", "tritonact/integrations/switch/state.py",
        "        _outside = _selection(include, exclude)\n        _apply(_outside)",
        "        _outside = _selection(include, exclude)\n        _settle()",
        "enable() inside a block does not take effect until every block is left",
        (f"{SWITCH}::test_use_blocks_three_deep_in_and_out_of_order",)),
    Mutant(
        "switch-disable-forgotten", "tritonact/integrations/switch/state.py",
        "        _outside = frozenset()\n        _apply(_outside)",
        "        _apply(frozenset())",
        "disable() inside a block is undone when the block is left",
        (f"{SWITCH}::test_use_blocks_leaving_out_of_order_restore_the_right_state",)),
    Mutant(
        "switch-exclude-ignored", "tritonact/integrations/switch/state.py",
        "return frozenset(chosen - dropped)",
        "return frozenset(chosen)",
        "use(exclude=...) still switches the excluded ops",
        (f"{SWITCH}::test_nesting_repeated_enable_and_include_exclude",)),
    Mutant(
        "switch-half-to-float-on-cpu", "tritonact/families/rowwise.py",
        "if not (x.is_cuda and x.dtype == torch.float16):",
        "if not x.dtype == torch.float16:",
        "softmax(half_to_float=True) served on the CPU, where torch raises",
        (f"{CANNOT_SERVE}[softmax half_to_float on the CPU]",)),
    Mutant(
        "switch-odd-glu", "tritonact/families/gated.py",
        "        if x.shape[dim] % 2:\n            return None  # torch's error\n",
        "",
        "glu of an odd size served instead of torch's error",
        (f"{CANNOT_SERVE}[glu of an odd size]",)),
    Mutant(
        "switch-mixed-dtypes", "tritonact/core/override.py",
        "return all(t.dtype == first.dtype and t.device == first.device",
        "return all(t.device == first.device",
        "a backward call with operands of two dtypes served instead of torch's",
        (f"{CANNOT_SERVE}[mixed dtypes in threshold_backward]",)),
    Mutant(
        "switch-leaky-relu-result-slope", "tritonact/registry/elementwise.py",
        "if self_is_result and float(negative_slope) < 0:",
        "if self_is_result and float(negative_slope) > 0:",
        "leaky_relu_'s backward from its result with a negative slope served where torch "
        "raises",
        (f"{SWITCH}::test_negative_slope_in_place_backward_is_torchs_error",)),
    Mutant(
        "switch-celu-float32-alpha", "tritonact/registry/elementwise.py",
        "1.0 / alpha, 1.0 / rounded(alpha, torch.float32)):",
        "1.0 / alpha,):",
        "celu's backward (torch passes 1/float32(alpha)) handed to torch: the switch stops "
        "serving it",
        (f"{SWITCH}::test_every_override_matches_torch_and_is_reached",)),
    # --- drop-ins ------------------------------------------------------------------------------
    Mutant(
        "replace-include-ignored", "tritonact/integrations/replace.py",
        "        if key not in selected:",
        "        if key not in everything:",
        "include/exclude ignored: every activation replaced",
        ("tests/test_replace.py::test_include_and_exclude_take_names_and_classes",)),
    Mutant(
        "replace-top-level-only", "tritonact/integrations/replace.py",
        "    for module in [model, *model.modules()]:",
        "    for module in [model, *model.children()]:",
        "nested activations (and the model itself) not replaced",
        ("tests/test_replace.py::test_swaps_at_any_depth_and_keeps_everything_else",)),
    Mutant(
        "replace-names-with-underscores", "tritonact/integrations/replace.py",
        "key = selector.lower().replace(\"_\", \"\")",
        "key = selector.lower()",
        "functional names with an underscore (\"leaky_relu\") refused",
        ("tests/test_replace.py::test_include_and_exclude_take_names_and_classes",)),
    Mutant(
        "replace-tritonact-class-selector", "tritonact/integrations/replace.py",
        "base = next((b for b in selector.__mro__ if b in table), None)",
        "base = selector if selector in table else None",
        "tritonact's own class (tnn.ReLU) refused as a selector",
        ("tests/test_replace.py::test_include_and_exclude_take_names_and_classes",)),
    Mutant(
        "replace-shared-module-one-slot", "tritonact/integrations/replace.py",
        "            for parent, name in holders:",
        "            for parent, name in holders[:1]:",
        "a third-party activation held in two slots replaced in one: the model runs both",
        (f"{THIRD}::test_a_module_held_twice_is_replaced_in_both_slots_and_timm_prelu_keeps_"
         "its_weight",)),
    Mutant(
        "replace-nothing-replaced-info-only", "tritonact/integrations/replace.py",
        '        log.warning("tritonact: replaced no activation module in %s',
        '        log.info("tritonact: replaced no activation module in %s',
        "the silent 0-replaced INFO line of issue 19 again: no warning for the classes left",
        (f"{THIRD}::test_gelu_python_formula_is_left_with_a_warning",
         f"{THIRD}::test_unknown_activation_classes_warn_and_extra_maps_them")),
    Mutant(
        "thirdparty-newgelu-exact", "tritonact/integrations/thirdparty.py",
        '_HF + "NewGELUActivation": _to(lambda: _tnn().GELU(approximate="tanh"), '
        "TANH_FORMULA_NOTE),",
        '_HF + "NewGELUActivation": _to(lambda: _tnn().GELU(), TANH_FORMULA_NOTE),',
        "GPT-2's tanh-formula GELU mapped to the erf GELU: a different function",
        (f"{THIRD}::test_each_class_is_replaced_by_a_tritonact_module_that_matches"
         "[transformers.NewGELUActivation]", f"{MODELS}::{PATCHED}[gpt2]")),
    Mutant(
        "thirdparty-gelu-python-replaced", "tritonact/integrations/thirdparty.py",
        '    if _is_gelu(getattr(module, "act", None), "none"):',
        "    if True:",
        "GELUActivation(use_gelu_python=True) replaced although its result would change",
        (f"{THIRD}::test_gelu_python_formula_is_left_with_a_warning",)),
    Mutant(
        "patch-gate-up-swapped", "tritonact/integrations/patching.py",
        "return self.down_proj(fused(self.gate_proj(x), self.up_proj(x)))",
        "return self.down_proj(fused(self.up_proj(x), self.gate_proj(x)))",
        "the fused MLP applies the activation to the up projection instead of the gate",
        (f"{MODELS}::{PATCHED}[llama]",)),
    Mutant(
        "patch-silu-as-gelu", "tritonact/integrations/patching.py",
        '    if name == _HF + "SiLUActivation":\n        return Gate("silu")',
        '    if name == _HF + "SiLUActivation":\n        return Gate("gelu")',
        "Hugging Face's SiLU gate fused as a GELU gate",
        (f"{MODELS}::{PATCHED}[llama]",)),
    Mutant(
        "patch-any-forward-fused", "tritonact/integrations/patching.py",
        "    return _pattern_dumps().get(_statements(cls.forward))",
        "    return _PATTERNS[0] if _statements(cls.forward) else None",
        "an MLP whose forward is not the gated pattern is fused anyway",
        (f"{MODELS}::test_only_the_exact_forward_pattern_is_fused",)),
    Mutant(
        "unpatch-keeps-patched-class", "tritonact/integrations/patching.py",
        "                module.__class__ = cls",
        "                module.__class__ = type(module)",
        "unpatch leaves the fused MLPs and swapped activations in place",
        (f"{MODELS}::{PATCHED}[llama]",)),
    Mutant(
        "unpatch-keeps-replaced-object", "tritonact/integrations/patching.py",
        "                    parent._modules[name] = old",
        "                    parent._modules[name] = new",
        "unpatch leaves the tritonact module where a third-party activation was",
        (f"{THIRD}::test_patch_replaces_and_unpatch_puts_the_objects_back",
         f"{MODELS}::{PATCHED}[gpt2]")),
    Mutant(
        "inplace-compile-no-copy", "autograd/elementwise.py",
        "            return x.copy_(y)",
        "            return y",
        "in place under torch.compile computes the result but never writes it into the input",
        (f"{MODELS}::test_inplace_under_compile_still_writes_the_input",)),
    Mutant(
        "rrelu-module-training-ignored", "tritonact/families/randomized.py",
        "*(getattr(self, n) for n in names), self.training,",
        "*(getattr(self, n) for n in names), False,",
        "nn.RReLU in training mode runs its eval formula",
        ("tests/test_learnable.py::test_rrelu_errors_and_module",)),
    Mutant(
        "softmax-module-dim", "tritonact/families/rowwise.py",
        "return function(input, self.dim, _stacklevel=5)",
        "return function(input, -1, _stacklevel=5)",
        "nn.Softmax(dim=1) reduces over the last dim",
        ("tests/test_rowwise.py::test_module_is_a_drop_in[softmax]",)),
    # --- exempt --------------------------------------------------------------------------------
    Mutant(
        "rrelu-wide-margin", "autograd/randomized.py",
        "WIDE=n + block > INT32_LIMIT)",
        "WIDE=n > INT32_LIMIT)",
        "the flat kernel's 64-bit margin",
        ("tests/test_learnable.py::test_rrelu_training_on_views_in_place_and_under_gradcheck",),
        status="equivalent",
        reason="for n <= 2**31 - 1 every unmasked index pid * BLOCK + i < n fits in 32 bits; "
               "only masked lanes past n can wrap, and they are never loaded or stored"),
    Mutant(
        "switch-reregisters-same-selection", "tritonact/integrations/switch/state.py",
        "        if selection == _active:\n            return\n",
        "",
        "enable() with the active selection destroys and re-registers the same kernels",
        (f"{SWITCH}::test_nesting_repeated_enable_and_include_exclude",),
        status="equivalent",
        reason="the same kernels at the same keys: the dispatch table and every result are "
               "the same; it only costs time"),
    # --- DTensor: kernels on shards (autograd/sharding.py) -----------------------------------
    Mutant(
        "dtensor-not-served", "autograd/launch.py",
        "    ) or (is_dtensor(x) and served_sharded(x)) or (REWRITE",
        "    ) or (REWRITE",
        "DTensors silently fall back to torch's kernels (the issue's starting point)",
        (f"{DISTRIBUTED}::test_functional_ops_on_every_placement",)),
    Mutant(
        "dtensor-gated-local-split", "tritonact/families/gated_function.py",
        "    gate, up = gated.halves(input, dim, gate_first, interleaved)\n"
        "    if (gate.requires_grad",
        "    gate, up = (type(input).from_local(h, input.device_mesh, input.placements)\n"
        "                for h in gated.halves(input.to_local(), dim, gate_first, interleaved))\n"
        "    if (gate.requires_grad",
        "a gated op split on each rank's shard: with the split dim sharded, a shard of "
        "[gate | up] pairs the wrong elements",
        (f"{DISTRIBUTED}::test_tensor_parallel_llama_mlp",)),
    Mutant(
        "dtensor-softmax-per-shard", "autograd/sharding.py",
        "if placement.is_partial() or (isinstance(placement, Shard) and placement.dim == dim):",
        "if placement.is_partial():",
        "a softmax over a sharded dim computed per shard (each shard's rows sum to one)",
        (f"{DISTRIBUTED}::test_functional_ops_on_every_placement",)),
    Mutant(
        "dtensor-partial-to-shard", "autograd/sharding.py",
        "choices: list[Placement] = [*(Shard(d) for d in dims), Replicate()]",
        "choices: list[Placement] = [*(Shard(d) for d in range(specs[0].ndim)), Replicate()]",
        "every Shard(d) offered: DTensor's cost model reduce-scatters a Partial input to a "
        "shard, a placement torch's pointwise rule never gives",
        (f"{DISTRIBUTED}::test_functional_ops_on_every_placement",)),
    Mutant(
        "dtensor-prelu-weight-grad-unreduced", "autograd/sharding.py",
        "outputs = [Shard(d), Partial()][:n_outputs]",
        "outputs = [Shard(d), Replicate()][:n_outputs]",
        "prelu's weight gradient over a sharded batch taken as one rank's sum, not reduced",
        (f"{DISTRIBUTED}::test_functional_ops_on_every_placement",)),
    Mutant(
        "launch-device-guard", "autograd/launch.py",
        "if device.type == \"cuda\" and device.index != torch.cuda.current_device():",
        "if device.type == \"cuda\" and device.index is None:",
        "a tensor on another GPU than the current one launches on the current one",
        ("tests/gpu/test_cuda_only.py::test_tensor_on_another_gpu_than_the_current_one",),
        status="gpu-only",
        reason="needs CUDA (and two devices): on the CPU the guard is never reached"),
    Mutant(
        "switch-half-to-float-dtype", "tritonact/families/rowwise.py",
        "if not (x.is_cuda and x.dtype == torch.float16):",
        "if not (x.is_cuda and x.dtype == torch.bfloat16):",
        "half_to_float served for bf16 (torch's CUDA kernel refuses it) and not for fp16",
        ("tests/gpu/test_drop_in.py::test_switch_at_the_cuda_key_matches_torch_and_falls_back",),
        status="gpu-only",
        reason="half_to_float is served on CUDA only: on the CPU both conditions hand every "
               "call to torch"),
    # --- memory traffic: a gradient in its leaf's layout (issue 29) ----------------------------
    Mutant(
        "logsigmoid-gradient-contiguous", "autograd/elementwise.py",
        "    if m.contiguous_result:\n",
        "    if False:\n",
        "logsigmoid's gradient contiguous, as torch's: a transposed or channels_last leaf pays "
        "AccumulateGrad's copy (a whole extra read and write)",
        ("tests/test_traffic.py::test_no_whole_tensor_copy_outside_the_kernels[logsigmoid]",)),
    Mutant(
        "rowwise-gradient-contiguous", "autograd/rowwise.py",
        "ctx.math, ctx.dim, ctx.in_dtype, ctx.stride = m, dim, x.dtype, grad_stride(x)",
        "ctx.math, ctx.dim, ctx.in_dtype, ctx.stride = m, dim, x.dtype, ()",
        "softmax's gradient contiguous whatever the input's layout: AccumulateGrad copies it "
        "into a transposed leaf's",
        ("tests/test_traffic.py::test_no_whole_tensor_copy_outside_the_kernels[softmax]",)),
    # --- the layers; the registry, families, math records, switch resolution -----------------
    Mutant(
        "layers-family-reaches-up", "tritonact/families/base.py",
        '    """``alpha=0.5, inplace=True``, or ``defaults``."""\n',
        '    """``alpha=0.5, inplace=True``, or ``defaults``."""\n'
        "    from tritonact.registry import OPS  # noqa: F401\n",
        "a family imports the registry above it (a deferred import inside a function: the "
        "package still imports, and the circle families <- registry <- families is back)",
        ("tests/test_layers.py::test_imports_run_down_the_layers[tritonact.families.base]",
         "tests/test_layers.py::test_no_circles")),
    Mutant(
        "layers-launch-knows-a-launcher", "autograd/launch.py",
        "def register_dtensor_rules() -> None:\n",
        "def register_dtensor_rules() -> None:\n    from . import elementwise  # noqa: F401\n",
        "the launch helpers import a launcher again (the DTensor circle of issue 31)",
        ("tests/test_layers.py::test_no_circles",)),
    Mutant(
        "registry-taken-name-accepted", "tritonact/registry/__init__.py",
        "        if taken:\n",
        "        if False:\n",
        "register() silently shadows an op already registered under that name",
        ("tests/test_extension.py::test_a_taken_name_or_kernel_key_is_refused",)),
    Mutant(
        "math-key-collision-silent", "autograd/launch.py",
        "    if table.setdefault(record.key, record) != record:",
        "    if False:",
        "a second kernel math under a key already filed is ignored: the custom ops (compile "
        "path) would run the other op's math",
        ("tests/test_extension.py::test_a_taken_name_or_kernel_key_is_refused",)),
    Mutant(
        "switch-shared-forward-serves-one-op", "tritonact/families/elementwise_aten.py",
        "        ops = tuple(s.name for s, _ in entries)",
        "        ops = (spec.name,)",
        "aten::elu serves only elu, not selu and celu (aten::hardtanh not relu6): the switch "
        "leaves those to torch and covered_ops forgets them",
        (f"{SWITCH}::test_a_shared_aten_operator_serves_every_op_it_computes",)),
    Mutant(
        "gated-approximate-ignored", "tritonact/families/gated.py",
        "        return self.math.get(approximate)",
        "        return self.math.get(\"none\")",
        "geglu(approximate='tanh') runs the exact gelu gate",
        ("tests/test_gated.py::test_parity[geglu-tanh-torch.float32]",)),
    Mutant(
        "rowwise-second-of-log-softmax", "tritonact/registry/rowwise.py",
        "                    rk.log_softmax_grad, log_softmax_second),",
        "                    rk.log_softmax_grad, softmax_second),",
        "log_softmax's double backward uses softmax's formula",
        ("tests/test_rowwise.py::test_gradcheck_and_gradgradcheck[log_softmax]",)),
    # --- issue 17: quick_gelu, relu_squared, the new gated ops, interleaved halves -------------
    Mutant(
        "quick-gelu-second-alpha", "kernels/activations.py",
        "(1.0 - 2.0 * s)) \\\n        * QUICK_GELU_ALPHA",
        "(1.0 - 2.0 * s))",
        "the chain rule's factor alpha lost in quick_gelu's second derivative",
        ("tests/test_gradcheck.py::test_double_backward_matches_torch[quick_gelu-defaults]",)),
    Mutant(
        "relu-squared-backward-factor", "kernels/activations.py",
        "return tl.where(x <= 0.0, 0.0, g * (x * 2.0))",
        "return tl.where(x <= 0.0, 0.0, g * x)",
        "d/dx relu(x)^2 loses its 2",
        (f"{PARITY}[relu_squared-defaults-torch.float32]",)),
    Mutant(
        "clamped-gate-gradient-bound-exclusive", "kernels/gated.py",
        "return tl.where(x <= limit, sigmoid_gated_backward(g, clamped, alpha), 0.0)",
        "return tl.where(x < limit, sigmoid_gated_backward(g, clamped, alpha), 0.0)",
        "torch's clamp passes the gradient at x == limit: an exclusive bound drops it",
        (f"{GATED}::test_clamp_bounds_pass_the_gradient_as_the_composite[torch.float32]",)),
    Mutant(
        "clamped-up-gradient-bound-exclusive", "kernels/gated.py",
        "return tl.where((x >= -limit) & (x <= limit), g, 0.0)",
        "return tl.where((x > -limit) & (x <= limit), g, 0.0)",
        "the up operand's clamp passes the gradient at -limit too",
        (f"{GATED}::test_clamp_bounds_pass_the_gradient_as_the_composite[torch.float32]",)),
    Mutant(
        "fatrelu-threshold-inclusive", "kernels/activations.py",
        "return threshold_forward(x, threshold, 0.0)",
        "return tl.where(x < threshold, 0.0, x)",
        "FATReLU keeps a > threshold strictly: at the threshold the gate is 0",
        (f"{GATED}::test_fatrelu_threshold_is_strict",)),
    Mutant(
        "up-transform-dropped-in-backward", "kernels/gated.py",
        "        transformed = UP(up, pa, pb)",
        "        transformed = up",
        "the gate's gradient takes the raw up operand instead of clamp(up) + 1",
        (f"{GATED}::test_parity[swiglu_oai-none-torch.float32]",)),
    Mutant(
        "glu-up-multiplied-first", "tritonact/registry/gated.py",
        "torch.sigmoid,\n                        up_last=True)",
        "torch.sigmoid,\n                        up_last=False)",
        "glu's gate gradient as dy * up first: inf where torch's fused backward is finite",
        (f"{GATED}::test_glu_gate_gradient_multiplies_the_up_operand_last",)),
    Mutant(
        "interleaved-halves-swapped", "autograd/gated.py",
        "x[(*lead, slice(0, None, 2))], x[(*lead, slice(1, None, 2))]",
        "x[(*lead, slice(1, None, 2))], x[(*lead, slice(0, None, 2))]",
        "gate and up taken from the odd and even elements: gpt-oss's layout read backwards",
        (f"{GATED}::test_interleaved_and_up_first_halves_equal_the_composites",)),
    Mutant(
        "pair-load-order", "kernels/gated.py",
        "        first, second = even, odd\n",
        "        first, second = odd, even\n",
        "interleaved halves split in registers the wrong way round",
        (f"{GATED}::test_interleaved_and_up_first_halves_equal_the_composites",)),
    Mutant(
        "pair-store-order", "kernels/gated.py",
        "even_ptr, pairs = first_ptr, tl.join(first, second)",
        "even_ptr, pairs = first_ptr, tl.join(second, first)",
        "the gradients of interleaved halves joined the wrong way round",
        (f"{GATED}::test_interleaved_and_up_first_halves_equal_the_composites",)),
    Mutant(
        "pairs-never-found", "autograd/gated.py",
        "abs(first.storage_offset() - second.storage_offset()) != 1",
        "abs(first.storage_offset() - second.storage_offset()) != 2",
        "interleaved halves no longer recognised: copied before every launch (slower, same "
        "results)",
        (f"{GATED}::test_interleaved_and_up_first_halves_equal_the_composites",)),
    Mutant(
        "rewrite-fuses-shared-activation", "tritonact/integrations/switch/rewrite.py",
        "or len(act.users) != 1:", "or len(act.users) < 1:",
        "an activation whose result is also used elsewhere is fused into the product and "
        "erased: the graph's other user loses its input",
        ("tests/test_rewrite.py::test_what_the_pass_leaves_to_inductor",)),
    Mutant(
        "rewrite-fuses-broadcast", "tritonact/integrations/switch/rewrite.py",
        "gate.shape == up.shape and ", "",
        "act(a) * b fused where b broadcasts: the gated kernel reads b as a's shape",
        ("tests/test_rewrite.py::test_what_the_pass_leaves_to_inductor",)),
    Mutant(
        "rewrite-ignores-selection", "tritonact/integrations/switch/rewrite.py",
        "if name is None or OP_NAMES[name] not in ops:", "if name is None:",
        "the pass rewrites ops the user excluded from the switch",
        ("tests/test_rewrite.py::test_only_the_selected_ops_are_rewritten_and_products_fused",)),
    Mutant(
        "rewrite-traced-tensors-refused", "autograd/launch.py",
        "or (REWRITE_TRACING.active and served_traced(x))", "",
        "the rewritten calls fall back to torch's ops while aot_autograd traces them: no kernel "
        "under Inductor",
        ("tests/test_rewrite.py::test_inline_activations_run_tritonacts_kernels_under_inductor",)),
    # --- the bias + activation ops (tests/test_biased.py) ---
    Mutant(
        "bias-partials-by-column-block", "kernels/biased.py",
        "partial_row = partial_ptr + tl.program_id(1).to(tl.int64) * width",
        "partial_row = partial_ptr + tl.program_id(0).to(tl.int64) * width",
        "each program's bias-gradient partials filed under its column block, not its row share: "
        "programs overwrite each other's sums",
        (f"{BIASED}::test_bias_gradient_over_many_programs_and_column_blocks",)),
    Mutant(
        "bias-up-gradient-from-gate", "kernels/biased.py",
        "tl.store(partial_row + n_cols + cols, tl.sum(acc_b, axis=0), mask=col_mask)",
        "tl.store(partial_row + n_cols + cols, tl.sum(acc_a, axis=0), mask=col_mask)",
        "a gated op's bias gradient for the up half summed from the gate's gradient",
        (f"{BIASED}::test_parity",)),
    Mutant(
        "bias-up-half-misread", "kernels/biased.py",
        "load(bias_ptr + n_cols, cols, mask)",
        "load(bias_ptr, cols, mask)",
        "a gated forward adds the gate's half of the bias to the up operand",
        (f"{BIASED}::test_parity",)),
    Mutant(
        "bias-gradient-flag-from-input", "autograd/biased.py",
        "dx, dbias = backward(ctx.math, dy, x, bias, need_bias)",
        "dx, dbias = backward(ctx.math, dy, x, bias, need_x)",
        "the bias gradient computed when the input needs one: none for a frozen input's bias",
        (f"{BIASED}::test_one_gradient_asked_for",)),
    # --- the parametric family (star_relu, xielu, snake, snake_beta) ---------------------------
    Mutant(
        "parametric-second-partials-overwrite-first", "kernels/parametric.py",
        "tl.store(partial_ptr + (programs + program) * BLOCK_C + channel,",
        "tl.store(partial_ptr + program * BLOCK_C + channel,",
        "the second weight's partials written over the first's: two-weight ops (star_relu's "
        "bias, snake_beta's beta) get each other's gradients",
        ("tests/test_parametric.py::test_parity[snake_beta-torch.float32]",
         "tests/test_parametric.py::test_parity[star_relu-torch.float32]")),
    Mutant(
        "parametric-partials-summed-over-channels", "autograd/parametric.py",
        "sums = sums.sum((1, 3)).flatten(1)[:, :c]",
        "sums = sums.sum((1, 2)).flatten(1)[:, :c]",
        "partials summed over the channel tiles instead of the S tiles: per-channel weight "
        "gradients mixed across channels",
        ("tests/test_parametric.py::"
         "test_weight_gradients_across_many_programs_a_long_row_loop_and_int64",)),
    Mutant(
        "xielu-gradient-at-eps", "kernels/parametric.py",
        "    below = x <= eps  # clamp(x, max=eps) passes the gradient at x == eps",
        "    below = x < eps",
        "the clamp's gradient dropped at x == eps: torch's clamp passes it there",
        ("tests/test_parametric.py::test_special_values[xielu]",)),
    Mutant(
        "snake-alpha-gradient-term", "kernels/parametric.py",
        "g * (sin_2ax * x * inv - s * s * inv * inv),",
        "g * (sin_2ax * x * inv - s * s * inv),",
        "Snake's alpha gradient loses a factor of 1 / alpha (the derivative of the 1 / alpha "
        "scale)",
        ("tests/test_parametric.py::test_parity[snake-torch.float32]",)),
    Mutant(
        "parametric-wide-decision", "autograd/parametric.py",
        "wide = max(extent, n * c * s) + tile.rows + block > INT32_LIMIT",
        "wide = n * c * s + tile.rows + block > INT32_LIMIT",
        "the parametric launcher's 64-bit decision ignores a stepped input's extent",
        ("tests/test_wide_index.py::test_parametric_on_a_stepped_view",)),
    # --- few-bit saved activations (tritonact.saved_bits) ------------------------------------
    Mutant(
        "fewbit-pack-order", "kernels/fewbit.py",
        "<< (tl.arange(0, 8) * BITS)[None, :], axis=1)",
        "<< ((7 - tl.arange(0, 8)) * BITS)[None, :], axis=1)",
        "the codes packed in the reverse order backward unpacks them: each element's gradient "
        "from another element's code",
        (f"{FEWBIT}::test_smooth_gradient_is_the_quantized_derivative[silu-defaults]",
         f"{FEWBIT}::test_piecewise_gradients_are_exact[relu-defaults]")),
    Mutant(
        "fewbit-levels-offset", "kernels/fewbit.py",
        "tl.load(table_ptr + ((1 << BITS) - 1) + code",
        "tl.load(table_ptr + code",
        "backward reads the boundaries as the levels",
        (f"{FEWBIT}::test_smooth_gradient_is_the_quantized_derivative[gelu-approximate=none]",)),
    Mutant(
        "fewbit-gradient-layout", "autograd/fewbit.py",
        "if not s.math.gradient_like_saved and is_dense(g):",
        "if is_dense(g):",
        "relu's gradient laid out like the upstream gradient, where torch's follows the saved "
        "tensor",
        (f"{FEWBIT}::test_layouts[relu-transposed]",)),
    Mutant(
        "fewbit-backward-params-unrounded", "tritonact/core/fewbit.py",
        "c, d = rounded(c, x.dtype), rounded(d, x.dtype)",
        "c, d = c, d",
        "softshrink's backward compares with lambd rounded to the input's dtype (torch's): "
        "unrounded, a bf16 element next to the kink takes the other branch",
        (f"{FEWBIT}::test_piecewise_gradients_are_exact[softshrink-lambd=0.1]",)),
]
