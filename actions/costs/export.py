"""A period's cost rows as a gzip-compressed CSV file, for a spreadsheet or a finance tool.

Columns: day (ISO date), provider, account, service, environment, team, region, resource, amount, credit, paid
(USD, 4 decimals). A million rows must take seconds, not minutes, so nothing is done per row in Python: the seven text
cells are quoted and joined once per distinct combination of labels (about one per resource) and the day once per
day; rows are assembled as a numpy matrix of bytes (cells padded to their column's width, numbers written digit by
digit) whose padding is dropped in one step. Labels come from cloud tags anyone can set: a label a spreadsheet
would run as a formula (=, +, -, @ first) is written with a leading apostrophe, as spreadsheets themselves do."""

from __future__ import annotations

import gzip
import io
import math

import numpy as np
import numpy.typing as npt

from actions.costs.analysis import Period
from actions.costs.model import TEXT_COLUMNS, Amounts, CostTable, day_of

HEADER = ("day", *TEXT_COLUMNS, "amount", "credit", "paid")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COMPRESSLEVEL = 1  # measured on a million rows: level 3 takes about twice as long for a file ~15% smaller
CHUNK_ROWS = 200_000  # formatted and compressed a slice at a time, so the text of all rows is never held at once
DECIMALS = 4
PAD = 0  # the byte that fills a cell to its column's width, dropped before writing
Bytes = npt.NDArray[np.uint8]


def _cell(label: str) -> str:
    label = label.replace("\0", "")  # PAD: it would vanish from the row anyway
    if label.startswith(FORMULA_STARTS):
        label = "'" + label
    if any(c in label for c in ',"\r\n'):
        return '"' + label.replace('"', '""') + '"'
    return label


def export_csv_gz(table: CostTable, period: Period, *, chunk_rows: int = CHUNK_ROWS) -> bytes:
    """The rows of the period, oldest day first, as gzip CSV bytes with a header line (formatted `chunk_rows` at a
    time)."""
    rows = table.between(period.first_day, period.last_day)
    order = np.argsort(rows.day, kind="stable")
    days, day_index = np.unique(rows.day, return_inverse=True)
    day_cells = [day_of(int(d)).isoformat().encode() for d in days]
    # The seven text cells of a row, written once per distinct combination (about one per resource).
    combos, combo_index = _combinations(rows)
    cells = {name: [_cell(x) for x in rows.column(name).labels] for name in TEXT_COLUMNS}
    combo_cells = [
        ",".join(cells[name][c] for name, c in zip(TEXT_COLUMNS, combo, strict=True)).encode() for combo in combos
    ]
    paid = rows.paid()
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=COMPRESSLEVEL, mtime=0) as packed:
        packed.write((",".join(HEADER) + "\n").encode())
        for start in range(0, len(rows), chunk_rows):
            at = order[start : start + chunk_rows]
            comma = np.full((len(at), 1), ord(","), dtype=np.uint8)
            parts = [_text(day_cells, day_index[at]), comma, _text(combo_cells, combo_index[at])]
            for values in (rows.amount[at], rows.credit[at], paid[at]):
                parts += [comma, _fixed(values)]
            parts.append(np.full((len(at), 1), ord("\n"), dtype=np.uint8))
            text = np.concatenate(parts, axis=1).ravel()
            packed.write(text[text != PAD].tobytes())
    return out.getvalue()


def _text(cells: list[bytes], index: npt.NDArray[np.intp]) -> Bytes:
    """Each row's cell as a row of bytes, padded with PAD to the longest cell."""
    padded = np.array(cells or [b""], dtype=bytes)
    width = padded.dtype.itemsize
    return padded[index].view(np.uint8).reshape(len(index), width)


def _fixed(values: Amounts) -> Bytes:
    """Each value with DECIMALS decimals as a row of ASCII bytes, leading zeros as PAD (digit arithmetic in numpy:
    a million '%.4f' formats take most of a second)."""
    scaled = np.rint(np.nan_to_num(values) * 10**DECIMALS).astype(np.int64)
    whole, fraction = np.divmod(np.abs(scaled), 10**DECIMALS)
    width = len(str(int(whole.max()))) if len(whole) else 1
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (whole[:, None] // powers) % 10 + ord("0")
    digits[(whole[:, None] < powers) & (powers > 1)] = PAD  # the units digit always shows: 0.5000
    decimals = (fraction[:, None] // 10 ** np.arange(DECIMALS - 1, -1, -1, dtype=np.int64)) % 10 + ord("0")
    sign = np.where(scaled < 0, ord("-"), PAD)[:, None]
    point = np.full((len(values), 1), ord("."))
    return np.concatenate([sign, digits, point, decimals], axis=1).astype(np.uint8)


def _combinations(rows: CostTable) -> tuple[list[tuple[int, ...]], npt.NDArray[np.intp]]:
    """The distinct combinations of the text columns' codes, and each row's index into them."""
    sizes = [max(1, len(rows.column(name).labels)) for name in TEXT_COLUMNS]
    if math.prod(sizes) < 2**62:  # one int64 per row (mixed radix): np.unique of a million is fast
        key = np.zeros(len(rows), dtype=np.int64)
        for name, size in zip(TEXT_COLUMNS, sizes, strict=True):
            key = key * size + rows.column(name).codes
        unique, index = np.unique(key, return_inverse=True)
        combos = []
        for value in unique.tolist():
            digits = []
            for size in reversed(sizes):
                value, digit = divmod(value, size)
                digits.append(digit)
            combos.append(tuple(reversed(digits)))
        return combos, index
    stacked = np.stack([rows.column(name).codes for name in TEXT_COLUMNS], axis=1)
    unique_rows, index = np.unique(stacked, axis=0, return_inverse=True)
    return [tuple(r) for r in unique_rows.tolist()], index.reshape(-1)
