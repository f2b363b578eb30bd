"""torch side of tritonact: autograd Functions, torch.library ops and kernel launch helpers.

Installed as ``tritonact.autograd``.
"""
