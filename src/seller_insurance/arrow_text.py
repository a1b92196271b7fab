"""Arrow text as numpy: the offsets view, and ids of one byte length as big-endian integers.

Shared by the loader (encoding seller ids that arrive month by month) and the engine (sorting seller ids into
value order). Text of one byte length sorts in byte order exactly as its bytes, zero-padded on the right to 8 or
16, read as one or two big-endian unsigned integers; UTF-8 byte order is code point order (pandas' and Python's
order of ``str``), and equal integers mean equal text.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

MAX_WORD_BYTES = 16  # up to two 64-bit words a value (Amazon's merchant tokens are 13-14 characters)


def text_offsets(chunk: pa.Array) -> np.ndarray:
    """The value offsets of a ``string`` or ``large_string`` array, as a numpy view (no copy; its own slice only).

    ``len(chunk) + 1`` entries: value ``i`` is ``data[offsets[i]:offsets[i + 1]]`` of ``chunk.buffers()[2]``
    (null values have equal offsets here, as pyarrow writes them).
    """
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    if not len(chunk):
        return np.zeros(1, dtype=width)
    return np.frombuffer(
        chunk.buffers()[1], dtype=width, count=len(chunk) + 1, offset=chunk.offset * np.dtype(width).itemsize
    )


def common_byte_length(chunk: pa.Array) -> int:
    """The byte length every value of a ``string``/``large_string`` array has, if they share one; else 0.

    0 also for an empty array, for any null, and for a length above :data:`MAX_WORD_BYTES`.
    """
    if (
        not len(chunk)
        or chunk.null_count
        or not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type))
    ):
        return 0
    offsets = text_offsets(chunk)
    size = int(offsets[1] - offsets[0])
    if not 1 <= size <= MAX_WORD_BYTES or int(offsets[-1] - offsets[0]) != size * len(chunk):
        return 0
    if len(chunk) > 1 and np.any(np.diff(offsets) != size):
        return 0
    return size


def big_endian_words(chunk: pa.Array, size: int) -> np.ndarray:
    """Each value of ``chunk`` (all ``size`` bytes long, per :func:`common_byte_length`) as big-endian integers.

    Shape ``(len(chunk),)`` of uint64 for 1-8 bytes, ``(len(chunk), 2)`` for 9-16 (high word first); the bytes are
    zero-padded on the right, so integer order is byte order.
    """
    n = len(chunk)
    offsets = text_offsets(chunk)
    text = np.frombuffer(chunk.buffers()[2], dtype=np.uint8, count=size * n, offset=int(offsets[0]))
    if size == 8:
        return text.view(">u8").astype(np.uint64)
    wide = 8 if size < 8 else 16
    padded = np.zeros((n, wide), dtype=np.uint8)
    padded[:, :size] = text.reshape(n, size)
    words = padded.view(">u8").astype(np.uint64)
    return words[:, 0] if wide == 8 else words


def equality_words(chunk: pa.Array, size: int) -> np.ndarray:
    """Each value of ``chunk`` (all ``size`` bytes long, 1-8) as one uint64 that is equal exactly when the text is.

    Native byte order, so no order between values, only identity (for hashing). For 8-byte values whose text
    starts on an 8-byte boundary, a view of the Arrow buffer (no copy); otherwise zero-padded on the right.
    :func:`text_of_equality_words` turns them back into text.
    """
    n = len(chunk)
    start = int(text_offsets(chunk)[0])
    data = chunk.buffers()[2]
    if size == 8 and (data.address + start) % 8 == 0:
        return np.frombuffer(data, dtype=np.uint64, count=n, offset=start)
    padded = np.zeros((n, 8), dtype=np.uint8)
    padded[:, :size] = np.frombuffer(data, dtype=np.uint8, count=size * n, offset=start).reshape(n, size)
    return padded.view(np.uint64).ravel()


def text_of_equality_words(words: np.ndarray, size: int) -> pa.Array:
    """The ``string`` array whose values are ``words`` (as :func:`equality_words` made them)."""
    return _text_of_bytes(np.ascontiguousarray(words, dtype=np.uint64).view(np.uint8), size)


def text_of_words(words: np.ndarray, size: int) -> pa.Array:
    """The ``string`` array whose values are ``words`` (1-8-byte values, as :func:`big_endian_words` made them)."""
    return _text_of_bytes(np.ascontiguousarray(words, dtype=">u8").view(np.uint8), size)


def _text_of_bytes(raw: np.ndarray, size: int) -> pa.Array:
    """``string`` values from the first ``size`` of every 8 bytes of ``raw`` (uint8)."""
    n = len(raw) // 8
    data = pa.py_buffer(np.ascontiguousarray(raw.reshape(n, 8)[:, :size]))
    offsets = pa.py_buffer(np.arange(n + 1, dtype=np.int32) * size)
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, data])
