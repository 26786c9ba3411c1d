"""Reading batch input: every refusal names the row and column, and nothing is evaluated."""

from __future__ import annotations

import pytest

from flowdash.batches import parsing
from flowdash.batches.parsing import BatchInputError


def test_utf8_csv_with_bom_and_a_formula_cell_read_as_text():
    data = '\ufeffprompt,model\n=HYPERLINK("http://x"),imagen-4\ncafé au lait,\n'.encode()
    rows = parsing.csv_rows(data)
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].cells["prompt"] == '=HYPERLINK("http://x")'
    assert rows[1].cells == {"prompt": "café au lait", "model": ""}


def test_windows_1252_is_named_with_row_and_column():
    data = "prompt,aspect\nfine,landscape\nna\u00efve caf\u00e9 \u2013 ok,portrait\n".encode(
        "cp1252"
    )
    with pytest.raises(BatchInputError) as exc:
        parsing.csv_rows(data)
    text = str(exc.value)
    assert "not UTF-8" in text and "Windows-1252" in text
    assert "row 3, column A" in text


def test_no_prompt_column():
    with pytest.raises(BatchInputError, match="no “prompt” column"):
        parsing.csv_rows(b"model,seed\nimagen-4,1\n")


def test_duplicate_columns_named_by_letter():
    with pytest.raises(BatchInputError) as exc:
        parsing.csv_rows(b"prompt,aspect,seed,aspect_ratio\na,landscape,1,portrait\n")
    assert "column D" in str(exc.value) and "column B" in str(exc.value)
    with pytest.raises(BatchInputError, match="column C"):
        parsing.csv_rows(b"prompt,seed,prompt\na,1,b\n")


def test_unknown_column_is_refused_not_ignored():
    with pytest.raises(BatchInputError, match="column B .*“modle” is not a studio field"):
        parsing.csv_rows(b"prompt,modle\na,imagen-4\n")


def test_ten_thousand_rows_pass_ten_thousand_and_one_are_refused():
    ok = b"prompt\n" + b"".join(b"p%d\n" % i for i in range(10_000))
    assert len(parsing.csv_rows(ok)) == 10_000
    too_many = ok + b"one more\n"
    with pytest.raises(BatchInputError, match="more than 10,000 rows"):
        parsing.csv_rows(too_many)


def test_extra_cells_beyond_the_header_are_kept_for_the_row_check():
    rows = parsing.csv_rows(b"prompt\na,surprise\n")
    assert rows[0].cells["__extra__"] == "surprise"


def test_pasted_prompts_skip_blank_lines():
    rows = parsing.pasted("a cat\n\n  a dog  \n")
    assert [(r.number, r.cells["prompt"]) for r in rows] == [(1, "a cat"), (3, "a dog")]
    with pytest.raises(BatchInputError):
        parsing.pasted("\n  \n")


def test_template_product_and_its_size():
    rows, words = parsing.template_rows(
        "A {animal} in {style}", "animal: cat | dog | fox\nstyle = watercolour | pixel art"
    )
    assert words == "3 animal × 2 style = 6 prompts"
    assert [r.cells["prompt"] for r in rows][:2] == ["A cat in watercolour", "A cat in pixel art"]
    assert len(rows) == 6


def test_template_over_the_limit_is_refused_before_anything_is_made():
    values = "\n".join(f"v{i}: " + " | ".join(str(n) for n in range(10)) for i in range(5))
    template = " ".join(f"{{v{i}}}" for i in range(5))
    with pytest.raises(BatchInputError, match="100,000 prompts; a batch takes at most 10,000"):
        parsing.template_rows(template, values)


@pytest.mark.parametrize(
    ("template", "values", "message"),
    [
        ("A {animal}", "", "uses {animal} but the values give none"),
        ("A {animal}", "animal: cat\ncolour: red", "the template has no {colour}"),
        ("A {animal!r}", "animal: cat", "is not a variable"),
        ("A {0}", "animal: cat", "is not a variable"),
        ("A { animal", "animal: cat", "cannot be read"),
        ("A {animal}", "animal cat", "line 1"),
        ("A {animal}", "animal: cat\nanimal: dog", "given twice"),
    ],
)
def test_template_mistakes_in_words(template, values, message):
    with pytest.raises(BatchInputError, match=message.replace("{", r"\{").replace("}", r"\}")):
        parsing.template_rows(template, values)


def test_utf16_is_named():
    with pytest.raises(BatchInputError, match="UTF-16"):
        parsing.csv_rows("prompt\na cat\n".encode("utf-16"))
