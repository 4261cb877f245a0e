"""numpy ↔ torch at the edges: torch is optional and imported only when asked for."""
import numpy as np

FRAMEWORKS = ("numpy", "torch")


def torch_module():
    """torch, or an ImportError that says how to get it."""
    try:
        import torch
    except ImportError as error:
        raise ImportError("this needs PyTorch (pip install torch); everything else in hyperzoo works with numpy alone") from error
    return torch


def check_framework(framework):
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be 'numpy' or 'torch', not {framework!r}")


def convert_state_dict(state, framework):
    """{name: numpy array} → the same with owned numpy arrays or torch tensors."""
    check_framework(framework)
    if framework == "numpy":
        return {k: np.array(v, copy=True) for k, v in state.items()}
    torch = torch_module()
    return {k: torch.from_numpy(np.array(v, copy=True)) for k, v in state.items()}


def as_numpy(value):
    """A numpy array from a numpy array, a list or a torch tensor (detached, on the CPU)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return np.asarray(value)
