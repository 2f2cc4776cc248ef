"""The evaluator: does a generated video show what its prompt says? Numbers anyone can recompute
offline, for real clips and trained models alike.

`analytic` measures and judges each clip, `classifier` is a learned judge (and the features of
an FVD-style distance), `diversity` looks for mode collapse, `report` prints and writes, and
`pipeline` runs them over prompts; `command` is `python -m text2video evaluate`. Names load
lazily so that the CLI starts without torch.
"""
from __future__ import annotations

__all__ = ["evaluate", "evaluate_clips", "real_generator", "resolve_prompts", "Evaluation"]


def __getattr__(name: str):
    if name in __all__:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
