"""Frames in and out through imageio's v3 API.

:func:`open_frames` reads a video (any container pyav decodes: mp4, avi, ...), an animated GIF,
a single image, or a folder of images, lazily and with a name per frame: a folder frame is named
after its file stem, a video's or GIF's frames are ``frame_000000``, ``frame_000001``, ...
Folder files are sorted by name, numerically where the names are numbers (``2.png`` before
``10.png``).  :func:`open_writer` writes masks to a folder of PNGs (named after the frames) or to
a video or GIF file.

Errors are ``FileNotFoundError`` (missing path) or ``ValueError`` (unreadable video, folder
without images, frames of different sizes), each with a one-line message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})
GIF_SUFFIXES = frozenset({".gif"})


def natural_key(name: str) -> tuple:
    """Sort key that orders digit runs by value: ``2.png`` < ``10.png`` < ``b2`` < ``b10``."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", name) if part)


def _as_frame(img: np.ndarray, source: str) -> np.ndarray:
    """uint8 (H, W) or (H, W, 3): alpha dropped, 16-bit scaled down."""
    img = np.asarray(img)
    if img.dtype != np.uint8:
        if img.dtype == np.uint16:
            img = (img >> 8).astype(np.uint8)
        elif img.dtype == np.bool_:
            img = img.astype(np.uint8) * 255
        else:
            img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, :3]
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        raise ValueError(f"{source}: not a gray or RGB image (shape {img.shape}).")
    return img


class FrameReader:
    """Lazy iteration over ``(name, frame)`` pairs of a video, GIF, image or folder of images.

    Frames are uint8 (H, W) gray or (H, W, 3) RGB.  Iterating raises ``ValueError`` when a
    frame's size differs from the first one's.  Use :func:`open_frames` to build one.

    Attributes
    ----------
    path : Path
    kind : {"folder", "files", "video", "gif", "image"}
        ``files`` is an explicit list of image files, read in the given order.
    n_frames : int or None
        Number of frames when known without decoding (folders, images; videos' container
        estimate, may be None).
    """

    def __init__(self, path: str | os.PathLike | list[str | os.PathLike]) -> None:
        self._files: list[Path] = []
        self.n_frames: int | None = None
        if isinstance(path, (list, tuple)):
            if not path:
                raise ValueError("no input given.")
            self._files = [Path(p) for p in path]
            for p in self._files:
                if not p.is_file():
                    raise FileNotFoundError(f"no such image file: {p}")
            self.path = self._files[0].parent
            self.kind = "files"
            self.n_frames = len(self._files)
            return
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no such file or folder: {self.path}")
        if self.path.is_dir():
            self.kind = "folder"
            files = [p for p in self.path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
            if not files:
                raise ValueError(
                    f"folder {self.path} holds no images (looked for {', '.join(sorted(IMAGE_SUFFIXES))})."
                )
            self._files = sorted(files, key=lambda p: natural_key(p.name))
            self.n_frames = len(self._files)
        else:
            suffix = self.path.suffix.lower()
            self.kind = "gif" if suffix in GIF_SUFFIXES else "image" if suffix in IMAGE_SUFFIXES else "video"
            if self.kind == "image":
                self.n_frames = 1
            elif self.kind == "video":
                self.n_frames = self._probe_video()

    def _probe_video(self) -> int | None:
        """Open the container once to fail early on files pyav cannot decode; return its frame count."""
        import imageio.v3 as iio

        try:
            props = iio.improps(self.path, plugin="pyav")
        except Exception as exc:  # noqa: BLE001 - any decoder failure is an unreadable video
            raise ValueError(f"cannot read video {self.path}: {_reason(exc)}") from None
        n = props.shape[0] if props.shape else 0
        return int(n) if n and n > 0 else None

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        shape = None
        for name, img in self._raw():
            frame = _as_frame(img, f"{self.path} ({name})")
            if shape is None:
                shape = frame.shape
            elif frame.shape != shape:
                raise ValueError(
                    f"frames of different sizes in {self.path}: {name} is {_describe(frame.shape)} but the first "
                    f"frame is {_describe(shape)}; resize them to one size."
                )
            yield name, frame

    def _raw(self) -> Iterator[tuple[str, np.ndarray]]:
        import imageio.v3 as iio

        if self.kind in ("folder", "files"):
            for p in self._files:
                try:
                    img = iio.imread(p)
                except Exception as exc:  # noqa: BLE001
                    raise ValueError(f"cannot read image {p}: {_reason(exc)}") from None
                yield p.stem, img
            return
        if self.kind == "image":
            try:
                img = iio.imread(self.path)
            except Exception as exc:  # noqa: BLE001
                raise ValueError(f"cannot read image {self.path}: {_reason(exc)}") from None
            yield self.path.stem, img
            return
        plugin = "pyav" if self.kind == "video" else None
        kwargs = {"plugin": plugin} if plugin else {}
        t = 0
        try:
            for img in iio.imiter(self.path, **kwargs):
                yield f"frame_{t:06d}", img
                t += 1
        except Exception as exc:  # noqa: BLE001 - pyav's errors are not all OSError/ValueError
            raise ValueError(f"cannot read {self.kind} {self.path} (after {t} frames): {_reason(exc)}") from None
        if t == 0:
            raise ValueError(f"{self.path} holds no frames.")

    def read_all(self) -> tuple[list[str], list[np.ndarray]]:
        """Decode every frame; return the names and the frames."""
        names, frames = [], []
        for name, frame in self:
            names.append(name)
            frames.append(frame)
        return names, frames


def _describe(shape: tuple[int, ...]) -> str:
    return f"{shape[1]}x{shape[0]}" + (" RGB" if len(shape) == 3 else " gray")


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def open_frames(path: str | os.PathLike | list[str | os.PathLike]) -> FrameReader:
    """Open a video, GIF, image, folder of images or list of image files for lazy ``(name, frame)`` iteration."""
    return FrameReader(path)


class FrameWriter:
    """Write frames (masks) to a folder of PNGs, a video or a GIF; use as a context manager.

    Use :func:`open_writer` to build one.  For a folder, :meth:`write` names the file after the
    frame (``name + ".png"``).  Videos are written with pyav (H.264 for mp4/mkv/mov, MPEG-4
    otherwise) at ``fps``, odd sizes padded by one row/column; GIFs with Pillow, which merges
    identical consecutive frames into one longer-displayed frame (use a folder or a video for
    exactly one output frame per input).
    """

    def __init__(self, path: str | os.PathLike, *, fps: float = 25.0) -> None:
        self.path = Path(path)
        self.fps = float(fps)
        suffix = self.path.suffix.lower()
        if suffix in GIF_SUFFIXES:
            self.kind = "gif"
        elif suffix in VIDEO_SUFFIXES:
            self.kind = "video"
        elif suffix in IMAGE_SUFFIXES:
            raise ValueError(
                f"output {self.path} is a single image; give a folder (one PNG per frame), a video or a GIF."
            )
        else:
            self.kind = "folder"
        parent = self.path if self.kind == "folder" else self.path.parent
        if self.kind == "folder" and self.path.exists() and not self.path.is_dir():
            raise ValueError(f"output {self.path} exists and is not a folder.")
        parent.mkdir(parents=True, exist_ok=True)
        self._gif: list[np.ndarray] = []
        self._video = None
        self.n_written = 0

    def write(self, name: str, frame: np.ndarray) -> None:
        """Add one frame (uint8 (H, W) or (H, W, 3))."""
        import imageio.v3 as iio

        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        if self.kind == "folder":
            iio.imwrite(self.path / f"{name}.png", frame)
        elif self.kind == "gif":
            self._gif.append(frame)
        else:
            rgb = np.repeat(frame[:, :, None], 3, axis=2) if frame.ndim == 2 else frame
            # the encoders' yuv420p needs even sizes: repeat the last row/column when odd
            rgb = np.pad(rgb, ((0, rgb.shape[0] % 2), (0, rgb.shape[1] % 2), (0, 0)), mode="edge")
            try:
                if self._video is None:
                    codec = "libx264" if self.path.suffix.lower() in {".mp4", ".mkv", ".mov", ".m4v"} else "mpeg4"
                    self._video = iio.imopen(self.path, "w", plugin="pyav")
                    self._video.init_video_stream(codec, fps=self.fps)
                self._video.write_frame(rgb)
            except Exception as exc:  # noqa: BLE001 - pyav's errors are not all OSError/ValueError
                raise ValueError(f"cannot write video {self.path}: {_reason(exc)}") from None
        self.n_written += 1

    def close(self) -> None:
        """Finish the file (writes the GIF, flushes the video encoder)."""
        import imageio.v3 as iio

        if self.kind == "gif" and self._gif:
            iio.imwrite(self.path, np.stack(self._gif), duration=1000.0 / self.fps, loop=0)
            self._gif = []
        elif self._video is not None:
            self._video.close()
            self._video = None

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_writer(path: str | os.PathLike, *, fps: float = 25.0) -> FrameWriter:
    """A :class:`FrameWriter` for a folder (any path without a video/GIF suffix), video or GIF."""
    return FrameWriter(path, fps=fps)
