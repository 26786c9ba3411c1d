"""Reading what a person gives a batch: pasted prompts, a CSV file, a prompt template.

Everything here is text handling; no row is checked against the studio's rules yet (that is
:mod:`flowdash.batches.rows`). A problem with the input as a whole raises :class:`BatchInputError`
whose message names the row and column, and nothing is kept.

CSV rows are numbered as a spreadsheet shows them (the header is row 1), columns by letter and
name. Cells are only ever text: ``=HYPERLINK(...)`` is a prompt like any other, never evaluated.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import string
from dataclasses import dataclass, field

MAX_ROWS = 10_000
MAX_FILE_BYTES = 20 * 1024 * 1024

# Column names a CSV may use, and what they mean; aliases share a meaning.
COLUMNS = {
    "prompt": "prompt",
    "kind": "kind",
    "model": "model",
    "aspect": "aspect_ratio",
    "aspect_ratio": "aspect_ratio",
    "aspect ratio": "aspect_ratio",
    "count": "count",
    "seed": "seed",
    "duration": "duration",
    "mode": "mode",
    "references": "references",
    "reference": "references",
    "start": "start",
    "start_frame": "start",
    "end": "end",
    "end_frame": "end",
    "account": "account",
}
LIST_SEPARATORS = (";", "|")


class BatchInputError(ValueError):
    pass


@dataclass
class RawRow:
    number: int  # as the person counts it: spreadsheet row, pasted line, combination
    cells: dict[str, str] = field(default_factory=dict)  # meaning -> text
    columns: dict[str, str] = field(default_factory=dict)  # meaning -> "column C (model)"


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _too_many(what: str) -> BatchInputError:
    return BatchInputError(
        f"{what} has more than {MAX_ROWS:,} rows (row {MAX_ROWS + 1:,} and on); a batch takes at "
        f"most {MAX_ROWS:,}. Split it into several batches."
    )


def pasted(text: str) -> list[RawRow]:
    """One prompt per non-empty line."""
    rows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if line.strip():
            rows.append(RawRow(number, {"prompt": line.strip()}, {"prompt": f"line {number}"}))
            if len(rows) > MAX_ROWS:
                raise _too_many("The list")
    if not rows:
        raise BatchInputError("Paste at least one prompt (one per line).")
    return rows


def decode(data: bytes) -> str:
    """UTF-8 text (with or without a byte-order mark); anything else is refused in words,
    Windows-1252 (Excel's "CSV" on Windows) recognised and named."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise BatchInputError(
            "The file is not UTF-8: it is UTF-16 (Excel's “Unicode text”). Save it as “CSV "
            "UTF-8” and upload it again."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            guess = "an encoding flowdash does not recognise"
        else:
            guess = "Windows-1252 (what Excel writes for “CSV” on Windows)"
        column = _column_at(data[line_start : exc.start])
        raise BatchInputError(
            f"The file is not UTF-8: it looks like {guess}. The first byte that is not UTF-8 "
            f"(0x{data[exc.start]:02X}) is in row {row}{column}. Save it as “CSV UTF-8” and "
            "upload it again."
        ) from None


def _column_at(prefix: bytes) -> str:
    """ ", column C" for the cell a byte offset on a line falls in (quotes not considered)."""
    try:
        index = prefix.decode("cp1252", errors="replace").count(",")
    except Exception:  # noqa: BLE001 — only a hint
        return ""
    return f", column {column_letter(index)}"


def csv_rows(data: bytes) -> list[RawRow]:
    if len(data) > MAX_FILE_BYTES:
        raise BatchInputError(
            f"The file is {len(data) / 1e6:.1f} MB; a batch file may be {MAX_FILE_BYTES // 2**20} "
            "MB at most."
        )
    text = decode(data)
    if not text.strip():
        raise BatchInputError("The file is empty: it needs a header row with a “prompt” column.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise BatchInputError(f"Row 1 cannot be read as CSV: {exc}.") from None
    meanings: dict[int, str] = {}
    seen: dict[str, str] = {}
    for i, name in enumerate(header):
        key = name.strip().lower().replace("-", "_")
        where = f"column {column_letter(i)} (“{name.strip()}”)"
        if not key:
            continue
        meaning = COLUMNS.get(key) or COLUMNS.get(key.replace("_", " "))
        if meaning is None:
            known = ", ".join(sorted({k for k in COLUMNS if " " not in k}))
            raise BatchInputError(
                f"Row 1, {where}: “{name.strip()}” is not a studio field. Columns may be: {known}."
            )
        if meaning in seen:
            raise BatchInputError(
                f"Row 1: {where} and {seen[meaning]} both give the {meaning.replace('_', ' ')}; "
                "keep one of them."
            )
        seen[meaning] = where
        meanings[i] = meaning
    if "prompt" not in seen:
        raise BatchInputError(
            "Row 1 has no “prompt” column: the first row must name the columns, one of them "
            "“prompt”."
        )
    rows: list[RawRow] = []
    try:
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise _too_many("The file")
            cells = {m: record[i].strip() if i < len(record) else "" for i, m in meanings.items()}
            columns = {
                m: f"column {column_letter(i)} ({header[i].strip()})" for i, m in meanings.items()
            }
            extra = [c for c in record[len(header) :] if c.strip()]
            row = RawRow(number, cells, columns)
            if extra:
                row.cells["__extra__"] = extra[0]
            rows.append(row)
    except csv.Error as exc:
        raise BatchInputError(f"Row {reader.line_num} cannot be read as CSV: {exc}.") from None
    if not rows:
        raise BatchInputError("The file has a header but no rows.")
    return rows


def template_names(template: str) -> list[str]:
    """The ``{variables}`` of a template, in order of first use."""
    names: list[str] = []
    try:
        for _, name, spec, conversion in string.Formatter().parse(template):
            if name is None:
                continue
            if not name.isidentifier() or spec or conversion:
                raise BatchInputError(
                    f"The template's “{{{name}{'!' + conversion if conversion else ''}"
                    f"{':' + spec if spec else ''}}}” is not a variable: write names like "
                    "{animal} (letters, digits, _)."
                )
            if name not in names:
                names.append(name)
    except ValueError as exc:
        raise BatchInputError(
            f"The template cannot be read: {exc} (a lone “{{” or “}}”? write {{{{ or }}}} for a "
            "brace)."
        ) from None
    return names


def template_values(text: str) -> dict[str, list[str]]:
    """``name: value | value | value`` lines (``=`` also separates the name)."""
    values: dict[str, list[str]] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        sep = ":" if ":" in line and ("=" not in line or line.index(":") < line.index("=")) else "="
        name, found, rest = line.partition(sep)
        name = name.strip()
        if not found or not name.isidentifier():
            raise BatchInputError(
                f"Values, line {number}: write “name: value | value”, e.g. “animal: cat | dog”."
            )
        if name in values:
            raise BatchInputError(f"Values, line {number}: “{name}” is given twice.")
        items = [v.strip() for v in rest.split("|") if v.strip()]
        if not items:
            raise BatchInputError(f"Values, line {number}: “{name}” has no values.")
        values[name] = items
    return values


def template_size(names: list[str], values: dict[str, list[str]]) -> int:
    size = 1
    for name in names:
        size *= len(values.get(name, []))
    return size


def product_words(names: list[str], values: dict[str, list[str]]) -> str:
    parts = " × ".join(f"{len(values[n])} {n}" for n in names)
    return f"{parts} = {template_size(names, values):,} prompts" if names else "1 prompt"


def template_rows(template: str, values_text: str) -> tuple[list[RawRow], str]:
    """The cartesian product of the values put into the template, and its size in words.
    The size is counted before anything is made; over the limit nothing is."""
    template = (template or "").strip()
    if not template:
        raise BatchInputError("Write a prompt template, e.g. “A {animal} in {style}”.")
    names = template_names(template)
    values = template_values(values_text)
    missing = [n for n in names if n not in values]
    if missing:
        raise BatchInputError(
            "The template uses " + ", ".join(f"{{{n}}}" for n in missing) + " but the values "
            "give none: add a line “" + missing[0] + ": … | …”."
        )
    unused = [n for n in values if n not in names]
    if unused:
        raise BatchInputError(
            "Values, “" + unused[0] + "”: the template has no {" + unused[0] + "}."
        )
    size = template_size(names, values)
    words = product_words(names, values)
    if size > MAX_ROWS:
        raise BatchInputError(
            f"The template makes {words}; a batch takes at most {MAX_ROWS:,}. Use fewer values."
        )
    rows = []
    for number, combo in enumerate(itertools.product(*(values[n] for n in names)), start=1):
        prompt = template.format(**dict(zip(names, combo, strict=True)))
        rows.append(RawRow(number, {"prompt": prompt}, {"prompt": f"combination {number}"}))
    return rows, words
