"""Turning texts into columns: a tokenizer, a vocabulary from the training split, three encodings.

Each text is cut into *pieces*, the units of release:

- ``fields``: one piece per field (AG News: the title, then the description),
  each cut to ``max_length`` tokens;
- ``segments``: the fields joined in order and cut to ``max_length`` tokens,
  then split into consecutive segments of ``segment_lengths`` tokens: fixed
  positions, so a short text leaves the later segments empty;
- ``sample_segments``: the fields joined and cut to ``max_length`` tokens as
  for ``segments``, then each text cut into ``n_pieces`` parts of its own
  length (as :func:`numpy.array_split` cuts it: the first ``n % k`` parts one
  token longer), so every text of at least k tokens has tokens in every part.
  A part's token columns are as wide as the widest part can be (the
  ``segments`` widths of ``max_length``).

Each piece becomes a block of columns:

- ``tokens``: one column per position holding the token id as a float
  (exact below 2**24); positions past the end hold ``PAD_ID``. Sequence models
  read them through :func:`streams.layout.token_ids`;
- ``bow``: one column per vocabulary word, its count in the piece;
- ``tfidf``: the same columns with (1 + log count) * idf, L2-normalised per
  piece; idf = ln((1 + n) / (1 + df)) + 1 over the n training texts.

The tokenizer lowercases, drops HTML tags and keeps runs of letters and
digits (with an apostrophe suffix such as ``n't``). The vocabulary (ids 0
padding and 1 unknown, then the most frequent tokens, ties alphabetical) and
the document frequencies come from the training rows only.

:func:`filled_pieces` says which rows have a token in which piece: the
builder warns when a release is almost empty.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from streams.layout import PAD_ID, UNK_ID, TextLayout
from streams.rows import SparseRows
from streams.schedule import TEXT_GROUPINGS
from streams.tabular import TabularData
from streams.text_sources import TextData
from streams.validation import DataError

ENCODINGS = ("tokens", "bow", "tfidf")
_TAG = re.compile(r"<[^>]+>")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Lowercased word tokens of ``text``, HTML tags removed."""
    return _TOKEN.findall(_TAG.sub(" ", text.lower()))


def split_pieces(
    data: TextData, by: str, max_length: int, segment_lengths: Sequence[int] | None, n_segments: int
) -> tuple[tuple[str, ...], list[int], dict[str, list[list[list[str]]]]]:
    """Piece names, piece lengths, and the tokens of every piece of every text, per source."""
    if by == "fields":
        names, lengths = data.fields, [max_length] * len(data.fields)
    elif by == "segments":
        lengths = _segment_lengths(segment_lengths, max_length, n_segments)
        names = tuple(f"segment{i + 1}" for i in range(len(lengths)))
    elif by == "sample_segments":
        if segment_lengths is not None:
            raise DataError(
                "segment_lengths applies to grouping segments; sample_segments cuts each text "
                "into n_pieces parts of its own length. Remove stream.segment_lengths."
            )
        lengths = _segment_lengths(None, max_length, n_segments)
        names = tuple(f"part{i + 1}" for i in range(len(lengths)))
    else:
        raise DataError(f"text pieces are one of {list(TEXT_GROUPINGS)}, not {by!r}.")
    bounds = np.cumsum([0] + lengths)
    out = {}
    for source, texts in (("pool", data.texts), ("test", data.test_texts)):
        if texts is None:
            continue
        per_field = [[tokenize(t)[:max_length] for t in texts[f]] for f in data.fields]
        if by == "fields":
            out[source] = [list(parts) for parts in zip(*per_field, strict=True)]
            continue
        joined = [
            [tok for part in parts for tok in part][:max_length]
            for parts in zip(*per_field, strict=True)
        ]
        if by == "segments":
            out[source] = [
                [row[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)] for row in joined
            ]
        else:
            out[source] = [own_parts(row, len(lengths)) for row in joined]
    return names, lengths, out


def own_parts(tokens: list[str], k: int) -> list[list[str]]:
    """``tokens`` cut into ``k`` consecutive parts of near-equal length, as
    :func:`numpy.array_split` cuts: the first ``len(tokens) % k`` parts one token longer."""
    q, r = divmod(len(tokens), k)
    bounds = [i * q + min(i, r) for i in range(k + 1)]
    return [tokens[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _segment_lengths(given: Sequence[int] | None, max_length: int, n: int) -> list[int]:
    if given is None:
        if not 1 <= n <= max_length:
            raise DataError(f"cannot cut {max_length} token positions into {n} segments.")
        return [len(p) for p in np.array_split(np.arange(max_length), n)]
    lengths = [int(v) for v in given]
    if not lengths or min(lengths) < 1 or sum(lengths) != max_length:
        raise DataError(
            f"segment_lengths {lengths} must be positive and sum to max_length ({max_length}); "
            f"set max_length: {sum(lengths)} or change the lengths."
        )
    return lengths


def build_vocabulary(pieces: list[list[list[str]]], rows: np.ndarray, size: int) -> tuple[str, ...]:
    """``<pad>``, ``<unk>``, then the ``size - 2`` most frequent tokens of ``rows`` (ties alphabetical)."""
    if not 3 <= size < 2**24:
        raise DataError(f"vocab_size must lie in [3, 2**24), got {size}.")
    counts = Counter(tok for r in rows for piece in pieces[r] for tok in piece)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: size - 2]
    return ("<pad>", "<unk>", *(tok for tok, _ in ranked))


def encode_text(
    data: TextData,
    fit_rows: np.ndarray,
    *,
    by: str = "fields",
    encoding: str = "tfidf",
    max_length: int = 64,
    vocab_size: int = 10000,
    segment_lengths: Sequence[int] | None = None,
    n_segments: int = 2,
) -> TabularData:
    """Encode ``data`` as columns; vocabulary and idf come from the pool rows ``fit_rows`` only."""
    if encoding not in ENCODINGS:
        raise DataError(f"unknown text encoding {encoding!r}; choose one of {list(ENCODINGS)}.")
    if max_length < 1:
        raise DataError(f"max_length must be >= 1, got {max_length}.")
    names, lengths, pieces = split_pieces(data, by, max_length, segment_lengths, n_segments)
    vocabulary = build_vocabulary(pieces["pool"], fit_rows, vocab_size)
    ids = {tok: i for i, tok in enumerate(vocabulary)}
    if encoding == "tokens":
        widths, columns = (
            lengths,
            [f"{n}[{i}]" for n, k in zip(names, lengths, strict=True) for i in range(k)],
        )
        encode = {s: _token_matrix(p, lengths, ids) for s, p in pieces.items()}
    else:
        words = vocabulary[2:]
        widths, columns = [len(words)] * len(names), [f"{n}:{w}" for n in names for w in words]
        idf = _idf(pieces["pool"], fit_rows, ids, len(names)) if encoding == "tfidf" else None
        encode = {s: _bag_matrix(p, ids, len(words), len(names), idf) for s, p in pieces.items()}
    starts = np.cumsum([0] + widths)
    spans = tuple((int(a), int(b)) for a, b in zip(starts[:-1], starts[1:], strict=True))
    layout = TextLayout(encoding, tuple(names), spans, vocabulary, max_length)
    return TabularData(
        data.name,
        encode["pool"],
        data.y,
        tuple(columns),
        data.class_names,
        encode.get("test"),
        data.test_y,
        layout,
    )


def _token_matrix(
    pieces: list[list[list[str]]], lengths: list[int], ids: dict[str, int]
) -> np.ndarray:
    out = np.full((len(pieces), sum(lengths)), float(PAD_ID), dtype=np.float32)
    starts = np.cumsum([0] + lengths)
    for r, row in enumerate(pieces):
        for start, piece in zip(starts, row, strict=False):
            out[r, start : start + len(piece)] = [ids.get(t, UNK_ID) for t in piece]
    return out


def _idf(
    pieces: list[list[list[str]]], rows: np.ndarray, ids: dict[str, int], n_pieces: int
) -> np.ndarray:
    """Smoothed idf per piece and word id, from the training rows."""
    df = np.zeros((n_pieces, len(ids)), dtype=np.float64)
    for r in rows:
        for p, piece in enumerate(pieces[r]):
            present = {ids[t] for t in piece if t in ids}
            df[p, list(present)] += 1
    return (np.log((1 + len(rows)) / (1 + df)) + 1).astype(np.float32)


def _bag_matrix(
    pieces: list[list[list[str]]],
    ids: dict[str, int],
    n_words: int,
    n_pieces: int,
    idf: np.ndarray | None,
) -> SparseRows:
    rows = []
    for row in pieces:
        values: dict[int, float] = {}
        for p, piece in enumerate(row):
            counts = Counter(ids[t] for t in piece if t in ids)
            if idf is None:
                block = {w: float(c) for w, c in counts.items()}
            else:
                block = {w: (1 + math.log(c)) * float(idf[p, w]) for w, c in counts.items()}
                norm = math.sqrt(sum(v * v for v in block.values())) or 1.0
                block = {w: v / norm for w, v in block.items()}
            values.update({p * n_words + w - 2: v for w, v in block.items()})
        rows.append(values)
    return SparseRows.from_rows(rows, n_words * n_pieces)


def filled_pieces(x: np.ndarray | SparseRows, layout: TextLayout, rows: np.ndarray) -> np.ndarray:
    """Boolean (len(rows), n_pieces): whether each row has a token in each piece (``tokens``:
    an id that is not padding; ``bow``/``tfidf``: a word of the vocabulary)."""
    rows = np.asarray(rows, dtype=np.int64)
    out = np.zeros((len(rows), len(layout.spans)), dtype=bool)
    if isinstance(x, SparseRows):
        begin, end = x.indptr[rows], x.indptr[rows + 1]
        lengths = end - begin
        which = np.repeat(np.arange(len(rows)), lengths)
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        take = np.repeat(begin, lengths) + offsets
        nonzero = x.data[take] != 0
        starts = np.array([a for a, _ in layout.spans], dtype=np.int64)
        piece = np.searchsorted(starts, x.indices[take][nonzero], side="right") - 1
        out[which[nonzero], piece] = True
        return out
    for p, (a, b) in enumerate(layout.spans):
        out[:, p] = (x[rows, a:b] != PAD_ID).any(axis=1)
    return out
