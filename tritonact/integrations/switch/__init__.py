"""The global switch: tritonact's kernels as the implementations of torch's own aten operators.

``enable()`` registers, through ``torch.library.Library("aten", "IMPL")``, a kernel for each aten
operator below at the CUDA dispatch key (and at the CPU key while ``TRITON_INTERPRET=1``), so
that code calling ``torch.relu``, ``F.gelu`` or ``x.sigmoid()`` directly runs tritonact's kernels,
and torch's own autograd formulas (``threshold_backward``, ``gelu_backward``, ...) run them
backward. ``disable()`` destroys the library, which restores torch's registrations exactly;
``use()`` is the scoped form.

Every registered kernel first checks that tritonact serves the call exactly: plain float
tensors (fp16, bf16, fp32, fp64) on a served device, matching operands, parameters the
registry's math covers. Anything else (int, bool and complex tensors, ``celu(alpha=0)``,
``elu_backward(is_result=True)``, a gelu ``approximate`` torch rejects, ...) calls torch's own
kernel for that dispatch key, captured with ``torch.library.get_kernel`` before the override is
registered, so the result or the error is torch's, bit for bit. ``out=`` overloads are never
registered. The kernels call only the raw launchers (``torch.empty_like`` and Triton), never an
overridden operator, so nothing recurses.


The switch is in three parts: :mod:`~tritonact.integrations.switch.table` (which aten
operators serve which registry ops, collected from the families' overrides),
:mod:`~tritonact.integrations.switch.dispatch` (the kernels registered with the dispatcher) and
:mod:`~tritonact.integrations.switch.state` (on, off, scoped); the inline calls under
torch.compile go through Inductor's pass in :mod:`~tritonact.integrations.switch.rewrite`.
``python -m tritonact verify`` checks every override against torch
(``tritonact.checks.verify.check_overrides``).
"""

from tritonact.core.override import Aten, Override
from tritonact.integrations.switch.dispatch import dispatch_keys, served_hooks
from tritonact.integrations.switch.state import active_ops, disable, enable, is_enabled, use
from tritonact.integrations.switch.table import covered_ops, overrides


def __getattr__(name: str):
    if name == "OVERRIDES":  # every override, built from the registry on first use
        return overrides()
    raise AttributeError(f"module 'tritonact.integrations.switch' has no attribute {name!r}")

__all__ = ["OVERRIDES", "Aten", "Override", "active_ops", "covered_ops", "disable",
           "dispatch_keys", "enable", "is_enabled", "overrides", "served_hooks", "use"]
