"""Open partner files (CSV, gzip-compressed CSV, XLSX) as rows of named text values.

The format is decided by the file's content, not its name, because partner
files are often mislabelled (a CSV saved as .xlsx). Problems with the whole
file raise FileFormatError with one clear line; problems with a single row
(too few or too many fields) are reported on that row so the loader can
quarantine it and carry on.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ctdata.errors import FileFormatError

csv.field_size_limit(10_000_000)


@dataclass
class RawRow:
    number: int  # 1-based data row number (the header is row 0)
    values: dict[str, str | None]
    error: str | None = None


@dataclass
class Table:
    path: Path
    kind: str  # csv | csv.gz | xlsx
    columns: list[str]
    sha256: str
    rows: Iterator[RawRow]
    notices: list[str] = field(default_factory=list)
    sheet: str | None = None
    encoding: str = "utf-8-sig"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sniff(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\x1f\x8b"):
        return "csv.gz"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


def _clean_header(cols: list[str]) -> list[str]:
    out = []
    for c in cols:
        c = (c or "").strip().lstrip("\ufeff")
        out.append(c)
    return out


def _check_header(path: Path, cols: list[str]) -> None:
    if not cols or all(not c for c in cols):
        raise FileFormatError(f"{path.name}: the first row is empty; expected a header row of column names")
    seen: set[str] = set()
    for c in cols:
        if c and c in seen:
            raise FileFormatError(f"{path.name}: column {c!r} appears twice in the header")
        seen.add(c)


def _text_stream(path: Path, kind: str, encoding: str) -> io.TextIOBase:
    raw = gzip.open(path, "rb") if kind == "csv.gz" else path.open("rb")
    return io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")


def _check_encoding(path: Path, kind: str, encoding: str) -> None:
    """Decode the whole file once up front, so a bad byte is reported before anything is loaded."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    raw = gzip.open(path, "rb") if kind == "csv.gz" else path.open("rb")
    offset = 0
    try:
        with raw:
            while True:
                try:
                    chunk = raw.read(1 << 20)
                except (EOFError, OSError) as exc:
                    raise FileFormatError(f"{path.name}: the compressed file is damaged or truncated ({exc})") from None
                if not chunk:
                    decoder.decode(b"", final=True)
                    break
                decoder.decode(chunk)
                offset += len(chunk)
    except UnicodeDecodeError as exc:
        pos = offset + exc.start
        raise FileFormatError(
            f"{path.name}: not valid {encoding} text (byte 0x{exc.object[exc.start]:02x} at offset {pos}); "
            f"save it as UTF-8 or pass --encoding (e.g. --encoding cp1252)"
        ) from None


def _csv_rows(path: Path, kind: str, encoding: str, columns: list[str]) -> Iterator[RawRow]:
    with _text_stream(path, kind, encoding) as fh:
        reader = csv.reader(fh, dialect=_dialect(path, kind, encoding))
        try:
            next(reader)
            n = len(columns)
            for i, fields in enumerate(reader, start=1):
                if not fields or all(not f.strip() for f in fields):
                    continue
                if len(fields) != n:
                    vals = {c: (fields[j] if j < len(fields) else None) for j, c in enumerate(columns)}
                    what = "truncated?" if len(fields) < n else "extra separators?"
                    yield RawRow(i, vals, f"row has {len(fields)} fields, the header has {n} ({what})")
                    continue
                yield RawRow(i, {c: (v if v != "" else None) for c, v in zip(columns, fields, strict=True)})
        except csv.Error as exc:
            raise FileFormatError(f"{path.name}: cannot be read as CSV near line {reader.line_num} ({exc})") from None
        except (EOFError, OSError) as exc:
            raise FileFormatError(f"{path.name}: the file is damaged or truncated ({exc})") from None


def _dialect(path: Path, kind: str, encoding: str) -> type[csv.Dialect] | csv.Dialect:
    with _text_stream(path, kind, encoding) as fh:
        sample = fh.read(65536)
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    delim = max(counts, key=counts.get)
    if counts[delim] == 0:
        delim = ","

    class D(csv.excel):
        delimiter = delim

    return D


def _cell(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat() if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v)
    return s if s.strip() else None


def _open_xlsx(path: Path, sheet: str | None, sha: str) -> Table:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileFormatError(f"{path.name}: not a readable Excel workbook ({exc})") from None
    if sheet is None:
        ws = wb.worksheets[0]
    elif sheet in wb.sheetnames:
        ws = wb[sheet]
    else:
        raise FileFormatError(f"{path.name}: has no sheet {sheet!r} (sheets: {', '.join(wb.sheetnames)})")
    it = ws.iter_rows(values_only=True)
    try:
        header = next(it)
    except StopIteration:
        raise FileFormatError(f"{path.name}: sheet {ws.title!r} is empty") from None
    columns = _clean_header([str(h) if h is not None else "" for h in header])
    while columns and not columns[-1]:
        columns.pop()
    _check_header(path, columns)
    n = len(columns)

    def rows() -> Iterator[RawRow]:
        for i, r in enumerate(it, start=1):
            vals = [_cell(v) for v in r]
            if all(v is None for v in vals):
                continue
            extra = [v for v in vals[n:] if v is not None]
            d = {c: (vals[j] if j < len(vals) else None) for j, c in enumerate(columns)}
            yield RawRow(i, d, f"row has {len(extra)} values beyond the last column" if extra else None)
        wb.close()

    return Table(path, "xlsx", columns, sha, rows(), sheet=ws.title)


def open_table(path: Path | str, *, encoding: str = "utf-8-sig", sheet: str | None = None) -> Table:
    """Open a CSV, CSV.gz or XLSX file; the format is sniffed from its first bytes."""
    path = Path(path)
    if not path.exists():
        raise FileFormatError(f"{path}: no such file")
    if path.is_dir():
        raise FileFormatError(f"{path}: is a folder, expected a CSV or XLSX file")
    if path.stat().st_size == 0:
        raise FileFormatError(f"{path.name}: the file is empty")
    kind = sniff(path)
    sha = sha256_of(path)
    notices: list[str] = []
    suffix = "".join(path.suffixes[-2:]).lower()
    if kind == "xls":
        raise FileFormatError(
            f"{path.name}: old Excel 97-2003 (.xls) workbooks are not supported; save as .xlsx or .csv"
        )
    if kind == "xlsx":
        return _open_xlsx(path, sheet, sha)
    if suffix.endswith(".xlsx"):
        notices.append(f"{path.name}: named .xlsx but its content is CSV text; reading it as CSV")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise FileFormatError(f"unknown text encoding {encoding!r}") from None
    _check_encoding(path, kind, encoding)
    with _text_stream(path, kind, encoding) as fh:
        try:
            header = next(csv.reader(fh, dialect=_dialect(path, kind, encoding)))
        except StopIteration:
            raise FileFormatError(f"{path.name}: the file is empty") from None
        except csv.Error as exc:
            raise FileFormatError(f"{path.name}: cannot be read as CSV ({exc})") from None
    columns = _clean_header(header)
    _check_header(path, columns)
    if len(columns) == 1 and len(columns[0]) > 200:
        raise FileFormatError(f"{path.name}: does not look like a table (no separators in the first line)")
    return Table(path, kind, columns, sha, _csv_rows(path, kind, encoding, columns), notices, encoding=encoding)
