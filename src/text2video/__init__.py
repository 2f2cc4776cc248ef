"""text2video: a video GAN that turns prompts like "circle moving up-right" into short clips.

Heavy modules (torch) load only when used, so `python -m text2video --help` stays quick.
"""
__version__ = "0.1.0"

from .errors import UserError

__all__ = ["UserError", "__version__", "load", "show", "frames_strip"]
NOTEBOOK = ("show", "frames_strip")  # text2video.show(clips, captions) in Jupyter


def load(directory, device: str = "cpu"):
    """Load a trained model: `text2video.load("model/circles").generate(["circle moving up-right"], n=4)`."""
    from .sample import load as _load

    return _load(directory, device)


def __getattr__(name: str):
    if name in NOTEBOOK:
        from . import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
