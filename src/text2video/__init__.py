"""text2video: a video GAN that turns prompts like "circle moving up-right" into short clips.

Heavy modules (torch) load only when used, so `python -m text2video --help` stays quick.
"""
__version__ = "0.1.0"

from .errors import UserError

__all__ = ["UserError", "__version__", "load"]


def load(directory, device: str = "cpu"):
    """Load a trained model: `text2video.load("model/circles").generate(["circle moving up-right"], n=4)`."""
    from .sample import load as _load

    return _load(directory, device)
