"""Frames in and out: files, folders and live streams in; masks out, one output frame per input frame.

:func:`open_frames` reads a video (any container PyAV decodes: mp4, avi, mkv, ...), an animated
GIF, a single image, a folder of images, or a live source: a camera (``/dev/videoN``), a network
stream (``rtsp://``, ``http(s)://``, ``udp://``, ``tcp://``, ...) or ``-`` (a containerised or raw
stream on stdin), lazily and with a name per frame: a folder frame is named after its file stem,
other frames are ``frame_000000``, ``frame_000001``, ...  Videos and streams are decoded frame by
frame through PyAV, so memory stays bounded whatever the length.  Folder files are sorted by
name, numerically where the names are numbers (``2.png`` before ``10.png``); hidden files
(``.DS_Store``, macOS ``._1.png``) are skipped; grey+alpha and RGBA images lose their alpha, and a
folder mixing grey and colour frames of one size is converted to the first frame's kind.

:func:`open_writer` writes masks to a folder of PNGs (named after the frames) or to a video or GIF
with exactly one output frame per written frame, at the given frame rate, losslessly where the
container allows (FFV1 in ``.mkv``/``.avi``, PNG in ``.mov``, lossless H.264 in ``.mp4``/``.m4v``,
lossless VP9 in ``.webm``, GIF); ``.mpg``/``.wmv`` are lossy and warn so.  A video is written to a
hidden ``.NAME.part`` file that replaces ``NAME`` only when it is complete.

Errors are ``FileNotFoundError`` (missing path) or ``ValueError`` (unreadable video, folder
without images, frames of different sizes, unsupported output), each with a one-line message.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})
GIF_SUFFIXES = frozenset({".gif"})
STREAM_PREFIXES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://", "rtp://")
"""URL schemes read as live streams."""
DEFAULT_FPS = 25.0
"""Frame rate of outputs whose input has none (folders of images)."""
STREAM_TIMEOUT = 10.0
"""Seconds a network stream may take to open or to deliver the next packet."""


class LossyOutputWarning(UserWarning):
    """The output container stores masks with a lossy codec (values other than 0/127/255 appear)."""


def is_live(source: object) -> bool:
    """Whether ``source`` names a live source: ``-`` (stdin), a camera device or a stream URL."""
    if not isinstance(source, (str, os.PathLike)):
        return False
    text = os.fspath(source)
    return text == "-" or text.lower().startswith(STREAM_PREFIXES) or re.fullmatch(r"/dev/video\d+", text) is not None


def natural_key(name: str) -> tuple:
    """Sort key that orders digit runs by value: ``2.png`` < ``10.png`` < ``b2`` < ``b10``."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", name) if part)


def _as_frame(img: np.ndarray, source: str) -> np.ndarray:
    """uint8 (H, W) or (H, W, 3): alpha dropped (grey+alpha and RGBA), 16-bit scaled down."""
    img = np.asarray(img)
    if img.dtype != np.uint8:
        if img.dtype == np.uint16:
            img = (img >> 8).astype(np.uint8)
        elif img.dtype == np.bool_:
            img = img.astype(np.uint8) * 255
        else:
            img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 3 and img.shape[2] in (2, 4):  # grey+alpha, RGBA
        img = img[:, :, :img.shape[2] - 1]
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        raise ValueError(f"{source}: not a gray or RGB image (shape {img.shape}).")
    return img


def _like(frame: np.ndarray, first: tuple[int, ...]) -> np.ndarray:
    """``frame`` converted to the first frame's kind (grey <-> RGB) when only the channels differ."""
    if frame.shape[:2] != first[:2] or frame.ndim == len(first):
        return frame
    if len(first) == 3:
        return np.repeat(frame[:, :, None], 3, axis=2)
    # ITU-R BT.601 luma, as OpenCV's and Pillow's RGB -> grey conversions
    luma = frame.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(np.rint(luma), 0, 255).astype(np.uint8)


class FrameReader:
    """Lazy iteration over ``(name, frame)`` pairs of a video, GIF, image, folder or live source.

    Frames are uint8 (H, W) gray or (H, W, 3) RGB.  Iterating raises ``ValueError`` when a
    frame's size differs from the first one's (a frame that differs only in being grey or colour
    is converted to the first frame's kind).  Use :func:`open_frames` to build one.

    Attributes
    ----------
    path : Path or str
    kind : {"folder", "files", "video", "gif", "image", "stream"}
        ``files`` is an explicit list of image files, read in the given order; ``stream`` a live
        source, which can be iterated once.
    n_frames : int or None
        Number of frames when known without decoding (folders, images; videos' container
        estimate, may be None; None for streams).
    fps : Fraction or None
        Frame rate of a video, GIF or stream when the container states one.
    """

    def __init__(self, path: str | os.PathLike | list[str | os.PathLike], *, timeout: float = STREAM_TIMEOUT,
                 input_format: str | None = None, input_options: dict[str, str] | None = None) -> None:
        self._files: list[Path] = []
        self.n_frames: int | None = None
        self.fps: Fraction | None = None
        self._container = None
        self._timeout = timeout
        self._input_format = input_format
        self._input_options = dict(input_options or {})
        if (input_format or input_options) and not (isinstance(path, (str, os.PathLike)) and (is_live(path) or (
                Path(path).is_file() and Path(path).suffix.lower() not in IMAGE_SUFFIXES | GIF_SUFFIXES))):
            raise ValueError("an input format or input options apply to videos and live sources only.")
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
        if is_live(path):
            self.path = os.fspath(path)
            self.kind = "stream"
            self._container = self._open_av()
            self.fps = _stream_fps(self._container)
            return
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no such file or folder: {self.path}")
        if self.path.is_dir():
            self.kind = "folder"
            files = [p for p in self.path.iterdir()
                     if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES]
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
                self._probe_video()
            else:
                self.fps = _gif_fps(self.path)

    def _open_av(self):
        """The PyAV input container of a video file or live source."""
        import av

        text = os.fspath(self.path)
        what = "video" if self.kind == "video" else "stream"
        options: dict[str, str] = dict(self._input_options)
        fmt = self._input_format
        target: object = text
        if text == "-":
            target = sys.stdin.buffer
        elif text.startswith("/dev/video"):
            fmt = fmt or "v4l2"
        elif text.lower().startswith(("rtsp://", "rtsps://")):
            options.setdefault("rtsp_transport", "tcp")
        try:
            kwargs = {} if self.kind == "video" else {"timeout": self._timeout}
            container = av.open(target, "r", format=fmt, options=options, **kwargs)
            if not container.streams.video:
                container.close()
                raise ValueError("no video stream")
        except Exception as exc:  # noqa: BLE001 - PyAV's errors are not all OSError/ValueError
            raise ValueError(f"cannot read {what} {text}: {_reason(exc)}") from None
        return container

    def _probe_video(self) -> None:
        """Open the container once to fail early on files PyAV cannot decode; note frame count and fps."""
        with self._open_av() as container:
            stream = container.streams.video[0]
            self.n_frames = int(stream.frames) if stream.frames and stream.frames > 0 else None
            self.fps = _stream_fps(container)

    def __iter__(self) -> Iterator[tuple[str, np.ndarray]]:
        first = None
        for name, img in self._raw():
            frame = _as_frame(img, f"{self.path} ({name})")
            if first is None:
                first = frame.shape
            elif frame.shape != first:
                frame = _like(frame, first)
                if frame.shape != first:
                    raise ValueError(
                        f"frames of different sizes in {self.path}: {name} is {_describe(frame.shape)} but the "
                        f"first frame is {_describe(first)}; resize them to one size."
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
        if self.kind == "gif":
            frames = iio.imiter(self.path)
        else:
            frames = self._av_frames()
        t = 0
        try:
            for img in frames:
                yield f"frame_{t:06d}", img
                t += 1
        except Exception as exc:  # noqa: BLE001 - PyAV's errors are not all OSError/ValueError
            raise ValueError(f"cannot read {self.kind} {self.path} (after {t} frames): {_reason(exc)}") from None
        if t == 0:
            raise ValueError(f"{self.path} holds no frames.")

    def _av_frames(self) -> Iterator[np.ndarray]:
        """Decoded frames, one at a time: grey for grey streams (masks), RGB otherwise."""
        container, self._container = self._container, None
        if container is None:
            if self.kind == "stream":
                raise ValueError(f"the stream {self.path} has already been read (live sources are read once).")
            container = self._open_av()
        with container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                gray = frame.format.name.startswith("gray")
                yield frame.to_ndarray(format="gray" if gray else "rgb24")

    def close(self) -> None:
        """Close a live source that was opened but not (fully) read."""
        if self._container is not None:
            self._container.close()
            self._container = None

    def read_all(self) -> tuple[list[str], list[np.ndarray]]:
        """Decode every frame; return the names and the frames."""
        names, frames = [], []
        for name, frame in self:
            names.append(name)
            frames.append(frame)
        return names, frames


def _stream_fps(container) -> Fraction | None:
    stream = container.streams.video[0]
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return Fraction(rate) if rate and 0 < rate < 1000 else None


def _gif_fps(path: Path) -> Fraction | None:
    """Frame rate of a GIF from its mean frame duration (GIF stores hundredths of a second)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            durations = []
            for i in range(getattr(im, "n_frames", 1)):
                im.seek(i)
                durations.append(im.info.get("duration") or 0)
    except Exception:  # noqa: BLE001 - unreadable GIFs fail with a clear message when iterated
        return None
    mean = sum(durations) / len(durations) if durations else 0
    return Fraction(1000 / mean).limit_denominator(1001) if mean > 0 else None


def _describe(shape: tuple[int, ...]) -> str:
    return f"{shape[1]}x{shape[0]}" + (" RGB" if len(shape) == 3 else " gray")


_DECODER_NOISE = {
    # how a decoder's internal failure starts -> what it means to the user
    "need at least one array to stack": "no decodable image in it (not an image, or an empty or corrupt file)",
    "Could not find a backend to open": "no decoder for it (an empty file, or not an image format imageio reads)",
}


def _reason(exc: BaseException) -> str:
    # an OS or FFmpeg error's own words, without "[Errno 875574520]" and the path the caller already names
    text = getattr(exc, "strerror", None) or str(exc)
    text = " ".join(text.split()) or type(exc).__name__
    for start, meaning in _DECODER_NOISE.items():
        if text.startswith(start):
            return meaning
    return text[:200]


def open_frames(path: str | os.PathLike | list[str | os.PathLike], *, timeout: float = STREAM_TIMEOUT,
                input_format: str | None = None, input_options: dict[str, str] | None = None) -> FrameReader:
    """Open a video, GIF, image, folder, list of image files or live source for lazy ``(name, frame)`` iteration.

    ``timeout`` (seconds) bounds how long a network stream may take to open or to deliver data.
    ``input_format`` names FFmpeg's demuxer (``rawvideo``, ``mjpeg``, ``h264``, ``v4l2``, ...) for
    sources it cannot probe, and ``input_options`` are the demuxer's options, e.g. raw frames on
    stdin: ``open_frames("-", input_format="rawvideo", input_options={"video_size": "320x240",
    "pixel_format": "rgb24", "framerate": "30"})``."""
    return FrameReader(path, timeout=timeout, input_format=input_format, input_options=input_options)


_CODECS = {
    # suffix: (container format, codec, codec options, pixel format of masks, of colour frames, lossless)
    ".mkv": ("matroska", "ffv1", {}, "gray", "bgr0", True),
    ".avi": ("avi", "ffv1", {}, "gray", "bgr0", True),
    ".mov": ("mov", "png", {}, "gray", "rgb24", True),
    ".mp4": ("mp4", "libx264", {"qp": "0"}, "yuv444p", "yuv444p", True),
    ".m4v": ("mp4", "libx264", {"qp": "0"}, "yuv444p", "yuv444p", True),
    ".webm": ("webm", "libvpx-vp9", {"lossless": "1"}, "yuv444p", "yuv444p", True),
    ".gif": ("gif", "gif", {}, "gray", "rgb8", True),
    ".mpg": ("mpeg", "mpeg2video", {}, "yuv420p", "yuv420p", False),
    ".mpeg": ("mpeg", "mpeg2video", {}, "yuv420p", "yuv420p", False),
    ".wmv": ("asf", "wmv2", {}, "yuv420p", "yuv420p", False),
}
"""How each output suffix is written (FFV1/PNG/lossless H.264/VP9 keep masks exactly 0/127/255)."""


def _rate(fps: float | Fraction) -> Fraction:
    rate = Fraction(fps) if isinstance(fps, Fraction) else Fraction(float(fps)).limit_denominator(1001)
    if not 0 < rate <= 1000:
        raise ValueError(f"fps must be in (0, 1000]; got {float(fps):g}.")
    return rate


class FrameWriter:
    """Write frames (masks) to a folder of PNGs, a video or a GIF; use as a context manager.

    Use :func:`open_writer` to build one.  For a folder, :meth:`write` names the file after the
    frame (``name + ".png"``).  Videos and GIFs get exactly one output frame per written frame at
    ``fps``; the codec per suffix is in ``_CODECS`` (lossless except ``.mpg``/``.wmv``, which warn
    with :class:`LossyOutputWarning`).  An unsupported suffix or a codec missing from PyAV's
    FFmpeg is a ``ValueError`` here, before any frame.  The file is written as ``.NAME.part`` and
    renamed on :meth:`close`; :meth:`abort` (or leaving the ``with`` block by an exception other
    than ``KeyboardInterrupt``) deletes it, so no half-written video is left behind.
    """

    def __init__(self, path: str | os.PathLike, *, fps: float | Fraction = DEFAULT_FPS) -> None:
        self.path = Path(path)
        self.fps = _rate(fps)
        suffix = self.path.suffix.lower()
        self.n_written = 0
        self._container = None
        self._stream = None
        self._shape: tuple[int, ...] | None = None
        if suffix in IMAGE_SUFFIXES:
            raise ValueError(
                f"output {self.path} is a single image; give a folder (one PNG per frame), a video or a GIF."
            )
        if not suffix:
            self.kind = "folder"
            if self.path.exists() and not self.path.is_dir():
                raise ValueError(f"output {self.path} exists and is not a folder.")
            self.path.mkdir(parents=True, exist_ok=True)
            return
        if suffix not in _CODECS:
            raise ValueError(f"unsupported output format {suffix!r} for {self.path}: give a folder (no suffix) or "
                             f"one of {', '.join(sorted(_CODECS))}.")
        import av

        self.kind = "gif" if suffix in GIF_SUFFIXES else "video"
        self._format, self._codec, self._options, self._gray_fmt, self._rgb_fmt, lossless = _CODECS[suffix]
        try:
            av.codec.Codec(self._codec, "w")
            av.format.ContainerFormat(self._format, "w")
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"cannot write {suffix} files: this PyAV/FFmpeg lacks {self._codec}/{self._format} "
                             f"({_reason(exc)}); use .mkv or a folder.") from None
        if not lossless:
            warnings.warn(f"{self.path.name}: {suffix} stores masks lossily ({self._codec}), values other than "
                          "0/127/255 will appear; use .mkv (FFV1), .mp4, .webm or a folder for exact masks.",
                          LossyOutputWarning, stacklevel=2)
        if self.path.is_dir():
            raise ValueError(f"output {self.path} is a folder; give a file name.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._part = self.path.with_name(f".{self.path.name}.part")

    def write(self, name: str, frame: np.ndarray) -> None:
        """Add one frame (uint8 (H, W) or (H, W, 3))."""
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        if self._shape is None:
            self._shape = frame.shape
        elif frame.shape != self._shape:
            raise ValueError(f"frame {name} is {_describe(frame.shape)}; the output's first was "
                             f"{_describe(self._shape)}.")
        if self.kind == "folder":
            import imageio.v3 as iio

            iio.imwrite(self.path / f"{name}.png", frame)
        else:
            try:
                self._encode(frame)
            except Exception as exc:  # noqa: BLE001 - PyAV's errors are not all OSError/ValueError
                self.abort()
                raise ValueError(f"cannot write video {self.path}: {_reason(exc)}") from None
        self.n_written += 1

    def _encode(self, frame: np.ndarray) -> None:
        import av

        gray = frame.ndim == 2
        pix_fmt = self._gray_fmt if gray else self._rgb_fmt
        if pix_fmt == "yuv420p":  # 4:2:0 needs even sizes: repeat the last row/column
            pad = ((0, frame.shape[0] % 2), (0, frame.shape[1] % 2)) + ((0, 0),) * (frame.ndim - 2)
            frame = np.pad(frame, pad, mode="edge")
        if self._container is None:
            self._container = av.open(str(self._part), "w", format=self._format)
            self._stream = self._container.add_stream(self._codec, rate=self.fps, options=dict(self._options))
            self._stream.height, self._stream.width = frame.shape[:2]
            self._stream.pix_fmt = pix_fmt
        picture = av.VideoFrame.from_ndarray(frame, format="gray" if gray else "rgb24")
        for packet in self._stream.encode(picture):
            self._container.mux(packet)

    def close(self) -> None:
        """Finish the file: flush the encoder and put the complete file in place."""
        if self._container is None:
            return
        container, self._container = self._container, None
        try:
            for packet in self._stream.encode():
                container.mux(packet)
            container.close()
        except Exception as exc:  # noqa: BLE001
            self._part.unlink(missing_ok=True)
            raise ValueError(f"cannot write video {self.path}: {_reason(exc)}") from None
        os.replace(self._part, self.path)

    def abort(self) -> None:
        """Drop a video being written (no file is left); folders keep the PNGs written so far."""
        if self._container is None:
            return
        container, self._container = self._container, None
        try:
            container.close()
        except Exception:  # noqa: BLE001, S110 - the file is deleted anyway
            pass
        self._part.unlink(missing_ok=True)

    def __enter__(self) -> FrameWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None or issubclass(exc_type, KeyboardInterrupt):
            self.close()  # a clean stop (end of stream, Ctrl-C) keeps what was written
        else:
            self.abort()


def open_writer(path: str | os.PathLike, *, fps: float | Fraction = DEFAULT_FPS) -> FrameWriter:
    """A :class:`FrameWriter` for a folder (a path without a suffix), a video or a GIF."""
    return FrameWriter(path, fps=fps)
