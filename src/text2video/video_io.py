"""Writing clips to files: GIF (imageio), MP4 (imageio-ffmpeg), AVI (OpenCV), NPY, and PNG (a still).

Clips are uint8 (N, T, H, W, 3). Several clips become one grid video; every file is written
atomically, so a failed write never leaves half a file behind.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
from einops import rearrange

from .errors import UserError
from .files import atomic_path, atomic_write

FORMATS = (".gif", ".mp4", ".avi", ".npy", ".png")  # .png: the middle frame, a still for a page
MAX_BYTES = 2**31  # an upscaled video larger than this is a typo, not a wish


def grid(videos: np.ndarray, columns: int | None = None, pad: int = 1) -> np.ndarray:
    """(N, T, H, W, 3) -> one (T, H', W', 3) video with the clips tiled, separated by `pad` grey pixels."""
    n = len(videos)
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    padded = np.full((rows * columns, *videos.shape[1:]), 0, dtype=np.uint8)
    padded[:n] = videos
    if pad:
        padded = np.pad(padded, ((0, 0), (0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=64)
    return rearrange(padded, "(r c) t h w ch -> t (r h) (c w) ch", r=rows, c=columns)


def captioned(videos: np.ndarray, labels: list[str], lines: int = 3) -> np.ndarray:
    """(N, T, H, W, 3) clips -> (N, T, H + strip, W, 3): each clip under its label, wrapped onto up
    to `lines` lines of white text on black (OpenCV's Hershey font, so no font files are needed)."""
    import cv2

    n, _, _, w, _ = videos.shape
    if len(labels) != n:
        raise UserError(f"captioned needs one label per clip: {n} clips, {len(labels)} labels")
    font, size, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.3, 1
    line_h = cv2.getTextSize("Ag", font, size, thick)[0][1] + 5
    strips = np.zeros((n, line_h * lines + 2, w, 3), np.uint8)
    for strip, label in zip(strips, labels):
        rows, words = [], label.split()
        for word in words:  # greedy wrapping: as many words on a line as fit the clip's width
            if rows and cv2.getTextSize(f"{rows[-1]} {word}", font, size, thick)[0][0] <= w - 4:
                rows[-1] = f"{rows[-1]} {word}"
            else:
                rows.append(word)
        for i, row in enumerate(rows[:lines]):
            cv2.putText(strip, row, (2, line_h * (i + 1)), font, size, (255, 255, 255), thick, cv2.LINE_AA)
    return np.concatenate([np.broadcast_to(strips[:, None], (n, videos.shape[1], *strips.shape[1:])), videos], 2)


def upscale(video: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscaling of (..., H, W, 3) for viewing."""
    if scale < 1:
        raise UserError(f"--scale must be a whole number of at least 1, got {scale}")
    size = video.nbytes * scale**2
    if size > MAX_BYTES:
        raise UserError(f"--scale {scale} would make a video of {size / 2**30:.1f} GiB; the limit is "
                        f"{MAX_BYTES / 2**30:.0f} GiB: lower --scale or the number of clips")
    return video.repeat(scale, axis=-3).repeat(scale, axis=-2) if scale > 1 else video


def save_video(path: str | os.PathLike, video: np.ndarray, fps: float = 8.0) -> Path:
    """Write (T, H, W, 3) uint8 (or, for .npy, any uint8 array) to `path`, chosen by extension."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise UserError(f"cannot write {path.name!r}: the extension must be one of {', '.join(FORMATS)}")
    if fps <= 0:
        raise UserError(f"--fps must be positive, got {fps}")
    video = np.ascontiguousarray(video, dtype=np.uint8)
    if ext == ".npy":
        with atomic_write(path) as f:
            np.save(f, video)
    elif ext == ".gif":
        with atomic_write(path) as f:
            f.write(encode_gif(video, fps))
    elif ext == ".png":
        import imageio.v3 as iio

        with atomic_write(path) as f:
            f.write(iio.imwrite("<bytes>", video[len(video) // 2], extension=".png"))
    else:  # the encoders open the file themselves: give them a temporary sibling by name
        with atomic_path(path) as tmp:
            (_write_mp4 if ext == ".mp4" else _write_avi)(tmp, video, fps)
    return path


def encode_gif(video: np.ndarray, fps: float = 8.0) -> bytes:
    """(T, H, W, 3) uint8 -> the bytes of a looping GIF (files, and inline in notebooks)."""
    import imageio.v3 as iio

    # loop=0: repeat forever, as a viewer of a short clip expects
    return iio.imwrite("<bytes>", np.ascontiguousarray(video, dtype=np.uint8), extension=".gif",
                       duration=1000 / fps, loop=0)


def _write_mp4(path: Path, video: np.ndarray, fps: float) -> None:
    import imageio.v2 as imageio

    # H.264 wants even sides; pad rather than resample so pixels stay as generated
    h, w = video.shape[1:3]
    video = np.pad(video, ((0, 0), (0, h % 2), (0, w % 2), (0, 0)))
    with imageio.get_writer(path, fps=fps, codec="libx264", quality=8, macro_block_size=1,
                            ffmpeg_log_level="error") as writer:
        for frame in video:
            writer.append_data(frame)


def _write_avi(path: Path, video: np.ndarray, fps: float) -> None:
    import cv2

    h, w = video.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    if not writer.isOpened():
        raise UserError(f"OpenCV cannot open an AVI writer for {path}")
    for frame in video:
        writer.write(np.ascontiguousarray(frame[..., ::-1]))  # OpenCV wants BGR
    writer.release()


def read_video(path: str | os.PathLike) -> np.ndarray:
    """Frames of a file written by save_video, uint8 (T, H, W, 3) (NPY: as saved)."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        return np.load(path)
    import imageio.v3 as iio

    frames = iio.imread(path, index=None)
    return (frames[None] if path.suffix.lower() == ".png" else frames)[..., :3]
