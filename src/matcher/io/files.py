"""Files in and out, untrusted: CSV, Excel and Parquet read by matcher's own readers (headers as
written, formulas without a saved value reported), and written so that nothing in them runs."""

from __future__ import annotations

import contextlib
import csv
import datetime
import enum
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO, StringIO
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .._lazy import lazy_module
from ..errors import Issue, OptionError, ProblemError
from ..models import (
    catalog,
)

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_module("pandas")
from .headers import _expect
from .rows import _is_zh, _label, _missing, _object_array, _say, _section_of, _shown, _Unreadable


def read_table(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read one table from a CSV, TSV, Excel or Parquet file.

    CSV and TSV cells are read as text (ids keep their leading zeros) from UTF-8, UTF-8 with a
    BOM, or GB18030. Excel and Parquet keep their cell types.

    Parameters
    ----------
    path
        ``.csv``, ``.tsv``/``.txt``, ``.xlsx``/``.xlsm``/``.xls`` or ``.parquet``/``.pq``.
    sheet
        The sheet of a workbook (name or position); the first by default.

    Raises
    ------
    OptionError
        When the suffix is none of the above.
    ProblemError
        When the file cannot be read, is empty, or has a repeated header, a column of values
        without a header, a formula with no saved value or an Excel error; each issue names the
        file, the sheet, the row and the column (``plan.xlsx · 派单方案 · 第 3 行 · 得分``).
    ImportError
        When Excel or Parquet support is not installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "地区.csv"
    >>> _ = path.write_text("编码,名称,级别" + chr(10) + "014,山西省,省", encoding="gb18030")
    >>> read_table(path).to_dict("records")
    [{'编码': '014', '名称': '山西省', '级别': '省'}]
    """
    path = _path(path, "path")
    suffix = path.suffix.lower()
    if suffix not in _TABLE_SUFFIXES and suffix != ".txt":
        if not suffix:
            raise OptionError.of("error.read_no_suffix", path=path)
        raise OptionError.of("error.read_suffix", path=path, suffix=suffix)
    (table,) = _read_file(path, sheet)
    issues = _file_issues(table)
    if issues:
        raise ProblemError(issues)
    return table.frame.infer_objects()


def write_tables(tables: Mapping[str, pd.DataFrame], destination: str | Path) -> None:
    """Write tables to an Excel workbook (a sheet each), a CSV file (one table) or a folder of
    CSV files, with no cell that a spreadsheet would run.

    Text stays text: in a workbook every text cell is a string cell, never a formula; in CSV a
    text cell that begins with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'``
    (OWASP's rule against CSV injection), which :func:`read_table` takes off again. Numbers stay
    numbers. CSV files are UTF-8 with a BOM, as Excel reads Chinese.

    Parameters
    ----------
    tables
        Sheet or file name -> table.
    destination
        A path ending in ``.xlsx``, one ending in ``.csv`` (for a single table), or a folder
        (created if needed).

    Raises
    ------
    OptionError
        When a ``.csv`` destination is given several tables.
    ProblemError
        When the destination cannot be written, naming it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "名单.csv"
    >>> write_tables({"名单": pd.DataFrame({"名称": ["=HYPERLINK(1)", "-3"], "数": [-3, 4]})}, path)
    >>> print(path.read_text(encoding="utf-8-sig"), end="")
    "名称","数"
    "'=HYPERLINK(1)",-3
    "'-3",4
    >>> read_table(path).to_dict("list")
    {'名称': ['=HYPERLINK(1)', '-3'], '数': ['-3', '4']}
    """
    destination = _path(destination, "destination")
    _expect(tables, Mapping, "tables")
    for table in tables.values():
        _expect(table, pd.DataFrame, "each table")
    suffix = destination.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        _write_workbook(tables, destination)
        return
    if suffix == ".csv":
        if len(tables) != 1:
            raise OptionError.of("error.csv_one_table", path=destination, count=len(tables))
        _write_csv(next(iter(tables.values())), destination)
        return
    with _file_errors(destination, "write"):
        destination.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        _write_csv(frame, destination / f"{_file_stem(str(name))}.csv")


def _file_stem(name: str) -> str:
    """``name`` as a file name: no path separators or characters Windows refuses."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .") or "table"


def _read_collection(path: Path) -> dict[str, _Loaded]:
    """The tables of a workbook (its sheets named after tables) or a folder (its files)."""
    zh = _is_zh(path.name)
    tables: dict[str, _Loaded] = {}
    issues: list[Issue] = []
    if path.is_dir():
        with _file_errors(path, "read"):
            files = sorted(path.iterdir())
        found = []
        for file in files:
            if file.suffix.lower() in _TABLE_SUFFIXES and _section_of(file.stem):
                try:
                    found.append(_read_file(file)[0])
                except ProblemError as error:
                    issues += error.issues
        where = {table.name: str(path / table.name) for table in found}
    elif not path.exists():
        reason = "No such file or directory"
        raise _problem_error(str(path), _say("cannot_read", zh, reason=reason))
    elif path.suffix.lower() not in (".xlsx", ".xlsm", ".xls"):
        raise _problem_error(
            str(path), "give a workbook or a folder, or the regions, organizations and needs"
        )
    else:
        found = _read_file(path, sheets=lambda name: _section_of(name) is not None)
        where = {table.name: f"{path} · {table.name}" for table in found}
    for table in found:
        section = _section_of(table.name)
        if section is None:
            continue
        if section in tables:
            issues.append(
                Issue(where[table.name], _say("second_table", zh, section=tables[section].name))
            )
        else:
            tables[section] = table
    if issues:
        raise ProblemError(issues)
    return tables


def _load_sources(sources: Mapping[str, Any]) -> dict[str, _Loaded]:
    """Each table given as a path or a DataFrame, read; every file's issues at once."""
    tables: dict[str, _Loaded] = {}
    issues: list[Issue] = []
    for section, source in sources.items():
        if isinstance(source, pd.DataFrame):
            tables[section] = _Loaded(section, source)
            continue
        if not isinstance(source, str | Path):
            issues.append(Issue(section, _say("not_table", False)))
            continue
        path = Path(source)
        if path.suffix.lower() not in _TABLE_SUFFIXES and path.suffix.lower() != ".txt":
            issues.append(
                Issue(
                    str(path),
                    f"cannot read {path.suffix or 'a file without a suffix'}; use "
                    ".csv, .tsv, .xlsx or .parquet",
                )
            )
            continue
        try:
            tables[section] = _read_file(path)[0]
        except ProblemError as error:
            issues += error.issues
    if issues:
        raise ProblemError(issues)
    return tables


_TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq")


def _problem_error(path: str, message: str) -> ProblemError:
    return ProblemError([Issue(path, message)])


def _missing_tables(names: Sequence[str]) -> ProblemError:
    return ProblemError([Issue.of(name, "error.table_missing") for name in names])


#: What a text cell may not begin with in a file matcher writes (OWASP's CSV-injection rule):
#: spreadsheets run such a cell as a formula.
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class _Origin:
    """Where a table was read: the file, the sheet, and the file row of each of its rows."""

    file: str
    sheet: str | None
    rows: Sequence[int]
    zh: bool

    def where(self, row: int | None = None, column: str | None = None) -> str:
        """``needs.xlsx · 需求 · 第 5 行 · 受益人数`` (or ``… · row 5 · …``) for a row's cell."""
        parts = [self.file]
        if self.sheet is not None:
            parts.append(self.sheet)
        if row is not None and 0 <= row < len(self.rows):
            number = self.rows[row]
            parts.append(catalog.text("table.row", "zh" if self.zh else "en", number=number))
        if column and column.startswith(_NO_HEADER[0]):
            letter = column[1:]
            parts.append(catalog.text("table.column", "zh" if self.zh else "en", letter=letter))
        elif column:
            parts.append(column if len(column) <= 60 else column[:56] + "…")
        return " · ".join(parts)


@dataclass(frozen=True)
class _Loaded:
    """A table as read from a file (raw headers, repeated ones too) or given as a DataFrame."""

    name: str  # the sheet, the file's stem, or the table it was given as
    frame: pd.DataFrame
    origin: _Origin | None = None


def _read_file(
    path: Path,
    sheet: str | int | None = None,
    *,
    sheets: Callable[[str], bool] | None = None,
) -> list[_Loaded]:
    """The table of a CSV, TSV or Parquet file, or the sheets of a workbook.

    ``sheet`` picks one sheet (the first by default); ``sheets``, a test of sheet names, reads
    every sheet it passes. Headers are kept as written (a repeated one stays repeated), rows with
    no value are left out, and every issue names the file: no reader's own exception escapes.
    """
    zh = _is_zh(path.name)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _problem_error(str(path), _say("xls", zh))
    if path.is_dir():
        raise _problem_error(str(path), _say("cannot_read", zh, reason="it is a folder"))
    if suffix in (".xlsx", ".xlsm"):
        return _read_workbook(path, sheet, sheets)
    if suffix in (".parquet", ".pq"):
        return [_read_parquet(path)]
    return [_read_csv(path, "," if suffix == ".csv" else "\t")]


@contextlib.contextmanager
def _file_errors(path: Path, action: Literal["read", "write"]) -> Iterator[None]:
    """The file system's errors, and text that cannot be encoded, as a :class:`ProblemError`
    naming ``path``."""
    try:
        yield
    except (OSError, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or f"{type(error).__name__}: {error}"[:120]
        message = _say(f"cannot_{action}", _is_zh(path.name), reason=reason)
        raise _problem_error(str(path), message) from None


def _read_bytes(path: Path) -> bytes:
    with _file_errors(path, "read"):
        return path.read_bytes()


def _read_csv(path: Path, separator: str) -> _Loaded:
    data = _read_bytes(path)
    zh = _is_zh(path.name)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _problem_error(str(path), _say("not_text", zh))
    try:
        raw = pd.read_csv(
            StringIO(text),
            sep=separator,
            header=None,
            dtype=object,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raw = pd.DataFrame()
    except (pd.errors.ParserError, ValueError, csv.Error) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise _problem_error(str(path), _say("not_csv", zh, reason=reason)) from None
    for j in range(raw.shape[1]):  # cells :func:`_csv_text` guarded, as they were
        quoted = np.flatnonzero(raw.iloc[:, j].str.startswith("'", na=False).to_numpy(dtype=bool))
        if len(quoted):
            raw.iloc[quoted, j] = [_unquote(value) for value in raw.iloc[quoted, j].tolist()]
    return _table_from_raw(path, None, raw, range(1, len(raw) + 1))


def _unquote(value: Any) -> Any:
    """A CSV cell as it was before :func:`_csv_text` guarded it."""
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(_TRIGGERS):
        return value[1:]
    return value


def _read_workbook(
    path: Path, sheet: str | int | None, names: Callable[[str], bool] | None
) -> list[_Loaded]:
    _require("openpyxl", "excel")
    import openpyxl  # type: ignore[import-untyped]

    data = BytesIO(_read_bytes(path))
    zh = _is_zh(path.name)

    def load(data_only: bool) -> Any:
        data.seek(0)
        return openpyxl.load_workbook(data, read_only=True, data_only=data_only)

    try:
        book = load(data_only=False)
        titles = list(book.sheetnames)
        if names is not None:
            chosen = [title for title in titles if names(title)]
        elif sheet is None:
            chosen = titles[:1]
        elif (
            isinstance(sheet, int)
            and not isinstance(sheet, bool)
            and -len(titles) <= sheet < len(titles)
        ):
            chosen = [titles[sheet]]
        elif isinstance(sheet, str) and sheet in titles:
            chosen = [sheet]
        else:
            book.close()
            listed = "、".join(titles) if zh else ", ".join(map(repr, titles))
            raise _problem_error(
                str(path), _say("no_sheet", zh, sheet=_shown(sheet), sheets=listed)
            )
        grids = {title: _sheet_cells(book[title]) for title in chosen}
        book.close()
        if any(formulas for _, _, formulas in grids.values()):
            book = load(data_only=True)
            for title, (grid, numbers, formulas) in grids.items():
                if formulas:
                    _fill_cached(book[title], grid, numbers, formulas)
            book.close()
    except ProblemError:
        raise
    except Exception as error:  # openpyxl, zipfile and XML parsers raise many kinds
        reason = f"{type(error).__name__}: {error}"[:200]
        raise _problem_error(str(path), _say("not_workbook", zh, reason=reason)) from None
    return [
        _table_from_raw(path, title, pd.DataFrame(grid, dtype=object), numbers)
        for title, (grid, numbers, _) in grids.items()
    ]


def _sheet_cells(sheet: Any) -> tuple[list[list[Any]], list[int], list[tuple[int, int]]]:
    """A sheet's rows that hold a value, their row numbers, and where its formula cells are.

    The size the file claims for the sheet is ignored: rows and columns are the ones it holds.
    """
    sheet.reset_dimensions()
    grid: list[list[Any]] = []
    numbers: list[int] = []
    formulas: list[tuple[int, int]] = []
    for number, row in enumerate(sheet.iter_rows(), 1):
        if not any(cell.value is not None for cell in row):
            continue
        values: list[Any] = []
        for c, cell in enumerate(row):
            value = cell.value
            kind = cell.data_type
            if value is None:
                values.append(None)
            elif kind == "f":
                formulas.append((len(grid), c))
                values.append(_Unreadable(str(value), formula=True))
            elif kind == "e":
                values.append(_Unreadable(str(value), formula=False))
            elif isinstance(value, str):
                values.append(_xml_unescape(value))
            else:
                values.append(value)
        while values[-1] is None:  # a row as wide as its last value
            values.pop()
        grid.append(values)
        numbers.append(number)
    width = max(map(len, grid), default=0)
    for values in grid:
        values.extend([None] * (width - len(values)))
    return grid, numbers, formulas


def _fill_cached(
    sheet: Any, grid: list[list[Any]], numbers: list[int], formulas: Sequence[tuple[int, int]]
) -> None:
    """Put the value Excel saved with each formula in its place; a formula without one stays."""
    sheet.reset_dimensions()
    wanted: dict[int, list[tuple[int, int]]] = {}
    for k, c in formulas:
        wanted.setdefault(numbers[k], []).append((k, c))
    for number, row in enumerate(sheet.iter_rows(), 1):
        for k, c in wanted.get(number, ()):
            if c < len(row) and row[c].value is not None:
                cell = row[c]
                if cell.data_type == "e":
                    grid[k][c] = _Unreadable(str(cell.value), formula=False)
                else:
                    grid[k][c] = (
                        _xml_unescape(cell.value) if isinstance(cell.value, str) else cell.value
                    )


def _read_parquet(path: Path) -> _Loaded:
    _require("pyarrow", "parquet")
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    zh = _is_zh(path.name)
    data = _read_bytes(path)
    try:
        table = pq.ParquetFile(BytesIO(data)).read()
        names = [str(name) for name in table.column_names]
        frame = table.rename_columns([str(i) for i in range(len(names))]).to_pandas()
    except Exception as error:  # pyarrow raises many kinds on a damaged file
        reason = f"{type(error).__name__}: {error}"[:200]
        raise _problem_error(str(path), _say("not_parquet", zh, reason=reason)) from None
    frame.columns = pd.Index(names, dtype=object)
    origin = _Origin(str(path), None, range(1, len(frame) + 1), _is_zh(path.name, *names))
    return _Loaded(path.stem, frame, origin)


def _table_from_raw(
    path: Path, sheet: str | None, raw: pd.DataFrame, numbers: Sequence[int]
) -> _Loaded:
    """The table in ``raw``, cells as read, row ``i`` being row ``numbers[i]`` of the file: the
    first row with a value is the header, rows without a value are left out, and so are columns
    with neither header nor value."""
    name = sheet if sheet is not None else path.stem
    filled = _filled(raw)
    rows_with_values = np.asarray(filled.any(axis=1), dtype=bool)
    if not rows_with_values.any():
        zh = _is_zh(path.name, sheet or "")
        origin = _Origin(str(path), sheet, (), zh)
        return _Loaded(name, pd.DataFrame(), origin)
    head = int(np.argmax(rows_with_values))
    body_rows = np.flatnonzero(rows_with_values[head + 1 :]) + head + 1
    headers = [None if _missing(h) else str(h).strip() for h in raw.iloc[head].tolist()]
    zh = _is_zh(path.name, sheet or "", *(h for h in headers if h))
    origin = _Origin(str(path), sheet, [numbers[int(r)] for r in body_rows], zh)
    body = raw.iloc[body_rows].reset_index(drop=True)
    keep = [j for j, h in enumerate(headers) if h or filled[body_rows, j].any()]
    frame = body.iloc[:, keep]
    frame.columns = pd.Index(
        [headers[j] or _NO_HEADER.format(_column_letter(j + 1)) for j in keep], dtype=object
    )
    return _Loaded(name, frame, origin)


#: The name a column with values but no header gets (the check reports it by its letter).
_NO_HEADER = "\x00{}"


def _file_issues(table: _Loaded) -> list[Issue]:
    """What :func:`read_table` refuses in a table read from a file: no header, a header twice,
    a column of values without a header, a cell with no value to read."""
    origin = table.origin
    assert origin is not None
    frame = table.frame
    if frame.shape[1] == 0:
        return [Issue(origin.where(), _say("empty", origin.zh))]
    issues = []
    seen: set[str] = set()
    for position, column in enumerate(frame.columns):
        label = _label(column)
        if label.startswith(_NO_HEADER[0]):
            issues.append(Issue(origin.where(None, label), _say("no_header", origin.zh)))
        elif label in seen:
            issues.append(Issue(origin.where(None, label), _say("twice", origin.zh)))
        seen.add(label)
        if frame.iloc[:, position].dtype == object:
            for row, value in enumerate(frame.iloc[:, position].tolist()):
                if isinstance(value, _Unreadable):
                    issues.append(Issue(origin.where(row, label), value.issue(origin.zh)))
    return issues


def _filled(raw: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Which cells hold a value (not missing, not blank text), with a Python test only for the
    cells that pandas does not already call missing."""
    filled = np.array(raw.notna().to_numpy(dtype=bool))
    for j in range(raw.shape[1]):
        rows = np.flatnonzero(filled[:, j])
        if len(rows):
            cells = raw.iloc[rows, j].tolist()
            filled[rows, j] = [
                bool(value.strip()) if value.__class__ is str else not _missing(value)
                for value in cells
            ]
    return filled


def _xml_unescape(text: str) -> str:
    """``_x000D_`` -> CR: the escapes Excel (and :func:`_xlsx_text`) write for characters that
    XML cannot hold; ``_x005F_`` escapes an underscore that would otherwise start one."""
    if "_x" not in text:
        return text
    return _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _write_workbook(
    frames: Mapping[str, pd.DataFrame], path: Path, *, percent: bool = False
) -> None:
    """Write ``frames`` to an Excel workbook, a sheet each, with no cell that Excel would run.

    Text is written as text: a string cell even when it begins with ``=`` (with Excel's quote
    prefix when it begins with ``=``, ``+``, ``-``, ``@``, tab or CR, so that editing it keeps it
    text), so the workbook holds no formula. Characters XML cannot hold are written as Excel
    writes them (``_x000D_``), and :func:`read_table` reads them back.
    """
    _require("openpyxl", "excel")
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    with _file_errors(path, "write"):  # text that is not Unicode fails here, not in openpyxl
        for name, frame in frames.items():
            sheet = book.create_sheet(_sheet_title(str(name), book.sheetnames))
            sheet.freeze_panes = "A2"
            for position, column in enumerate(frame.columns, 1):
                values = frame.iloc[:, position - 1].tolist()
                _put(sheet.cell(row=1, column=position), str(column))
                is_share = percent and str(column) in ("share", "满足率")
                for row, value in enumerate(values, 2):
                    if isinstance(value, str) or not _missing(value):  # "  " is text to keep
                        cell = sheet.cell(row=row, column=position)
                        _put(cell, value)
                        if is_share:
                            cell.number_format = "0.0%"
                cells = [str(column), *(str(v) for v in values[:200])]
                width = min(60, max(catalog.display_width(text) for text in cells) + 2)
                sheet.column_dimensions[_column_letter(position)].width = width
        book.save(path)


def _put(cell: Any, value: Any) -> None:
    """Set a cell: text as a string cell (never a formula), numbers as numbers."""
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)
    if not isinstance(value, str | int | float | bool | datetime.datetime | datetime.date):
        value = str(value)
    if isinstance(value, str):
        cell.value = _xlsx_text(value)
        cell.data_type = "s"  # openpyxl makes "=..." a formula
        if value.startswith(_TRIGGERS):
            cell.quotePrefix = True
    else:
        cell.value = value


def _xlsx_text(text: str) -> str:
    """``text`` with the characters XML cannot hold (and CR, which XML turns into LF) written as
    Excel escapes them; an underscore that would start such an escape is escaped too."""
    if _SURROGATE.search(text):
        text.encode("utf-8")  # raises: a lone surrogate is not text a file can hold
    if "_x" in text:
        text = _XML_ESCAPE.sub(lambda m: "_x005F" + m.group(0), text)
    return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")


def _sheet_title(name: str, taken: Sequence[str]) -> str:
    """A valid, unused sheet title for ``name``: at most 31 characters, none of ``[]:*?/\\``."""
    title = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'")[:31] or "sheet"
    candidate, n = title, 1
    while candidate.casefold() in {t.casefold() for t in taken}:
        n += 1
        candidate = f"{title[: 31 - len(str(n)) - 1]}_{n}"
    return candidate


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV (UTF-8 with a BOM, as Excel likes it) with no cell that would run.

    Text cells are quoted, and one that begins with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
    leading ``'`` (OWASP's rule against CSV injection); :func:`read_table` takes it off again.
    Numbers are written as numbers.
    """
    with _file_errors(path, "write"):  # text that is not Unicode fails here too
        safe = frame.copy()
        safe.columns = [_csv_text(str(column)) for column in frame.columns]
        for position in range(safe.shape[1]):
            column = safe.iloc[:, position]
            if column.dtype == object or column.dtype.kind not in "biufcmM":
                cells = [_csv_text(v) if isinstance(v, str) else v for v in column.tolist()]
                safe.isetitem(position, _object_array(cells))
        safe.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_NONNUMERIC)


def _csv_text(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs: ``'`` before a formula-like start."""
    return "'" + text if text.lstrip("'").startswith(_TRIGGERS) else text


def _require(module: str, extra: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ImportError(
            f"this needs {module}, which is not installed: pip install 'matcher[{extra}]'"
        )


def _column_letter(position: int) -> str:
    """Excel's name of the 1-based column ``position``: 1 -> A, 27 -> AA."""
    letters = ""
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _path(value: Any, name: str) -> Path:
    """``value`` as a path, or an :class:`OptionError` naming the argument."""
    if isinstance(value, str | PathLike):
        return Path(value)
    raise OptionError.of("error.not_path", name=name, kind=type(value).__name__)
