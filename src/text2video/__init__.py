"""text2video: a video GAN that turns prompts like "circle moving up-right" into short clips.

Heavy modules (torch) load only when used, so `python -m text2video --help` stays quick.
"""
__version__ = "0.1.0"

from .errors import UserError

__all__ = ["UserError", "__version__"]
