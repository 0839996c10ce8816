"""Parquet: the mapped columns only, in record batches (pyarrow). The header is the schema's
column names; a row's line is its index in the file + 1 (the first row is line 1).

Limits: the file's size (as for every format); a column chunk over 1 MiB that expands more than
MAX_COMPRESSION_RATIO times is refused from the metadata, before anything is read, as a zip entry
is. An encoding-level bomb (one long value repeated by run-length encoding, which the metadata
cannot show) is refused after one batch: a batch of BATCH_ROWS rows taking more than
MAX_BATCH_BYTES once decoded stops the file before its values become Python objects.
Text columns are not read as dictionaries: for columns of distinct values (IDs, names) pyarrow
would grow one dictionary over a whole row group, and a row group may hold millions of rows.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from dangvien.core.tabular.spec import NO_FORMULAS, RawRow, TabularFileError
from dangvien.core.tabular.xlsx_source import MAX_COMPRESSION_RATIO, RATIO_CHECK_MIN_BYTES, mb

BATCH_ROWS = 1024
MAX_BATCH_BYTES = 64 * 1024 * 1024


def _arrow() -> tuple[Any, Any]:
    # Imported on first use: pyarrow takes a noticeable time to import, and most processes never
    # read a Parquet file.
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pa, pq


class ParquetSource:
    """An opened Parquet file: `names` (the header) and `rows(names)`."""

    def __init__(self, path: pathlib.Path):
        pa, pq = _arrow()
        self.path = path
        try:
            metadata = pq.read_metadata(path)
            self.schema = metadata.schema.to_arrow_schema()
        except (pa.ArrowException, OSError) as exc:
            raise _damaged(exc) from exc
        _check_expansion(metadata)
        self.names: list[str] = list(self.schema.names)

    def rows(self, names: list[str]) -> Iterator[RawRow]:
        """The values of these columns, row by row: (line, cells in the order of `names`)."""
        pa, _pq = _arrow()
        for name in names:
            if pa.types.is_nested(self.schema.field(name).type):
                raise TabularFileError(_("The column %(column)s holds lists or records, not single values.")
                                       % {"column": name})
        return self._rows(names)

    def _rows(self, names: list[str]) -> Iterator[RawRow]:
        pa, pq = _arrow()
        line = 1
        try:
            with pq.ParquetFile(self.path) as parquet:
                for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=names, use_threads=False):
                    _check_batch(batch)
                    columns = [_values(pa, batch.column(name)) for name in names]
                    for cells in zip(*columns, strict=True):
                        yield line, cells, NO_FORMULAS
                        line += 1
        except (pa.ArrowException, OSError) as exc:
            raise _damaged(exc, line=line) from exc


def _values(pa: Any, array: Any) -> list[Any]:
    """A column's Python values; bytes are decoded as UTF-8 (an invalid byte refuses the file). A
    dictionary column (a pandas category, say) gives each distinct value once and every row the
    same object, unless the batch is a slice of a dictionary larger than itself."""
    if pa.types.is_dictionary(array.type):
        if len(array.dictionary) > len(array):  # a batch's slice of a large dictionary (unique values)
            return _values(pa, array.dictionary_decode())
        distinct = _values(pa, array.dictionary)
        return [None if i is None else distinct[i] for i in array.indices.to_pylist()]
    if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
        array = array.cast(pa.large_string())  # checks the UTF-8 (ArrowInvalid)
    return list(array.to_pylist())


def _check_expansion(metadata: Any) -> None:
    """Refuse a compression bomb from the metadata alone: the column chunks' declared sizes."""
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        for index in range(row_group.num_columns):
            chunk = row_group.column(index)
            size, packed = chunk.total_uncompressed_size, max(chunk.total_compressed_size, 1)
            if size > RATIO_CHECK_MIN_BYTES and size > MAX_COMPRESSION_RATIO * packed:
                raise TabularFileError(
                    _("The Parquet file is refused: its column %(name)s expands %(ratio)s times (a compression "
                      "bomb?). Real files expand less than %(max)s times.")
                    % {"name": chunk.path_in_schema, "ratio": size // packed, "max": MAX_COMPRESSION_RATIO})


def _check_batch(batch: Any, limit: int = MAX_BATCH_BYTES) -> None:
    if batch.nbytes > limit:
        raise TabularFileError(_("The Parquet file is refused: %(rows)s rows take %(size)s MB once read, more "
                                 "than %(max)s MB.")
                               % {"rows": batch.num_rows, "size": mb(batch.nbytes), "max": mb(limit)})


def _damaged(exc: Exception, *, line: int = 0) -> TabularFileError:
    return TabularFileError(_("The Parquet file is damaged and cannot be read (%(error)s).") % {"error": exc},
                            line=line)
