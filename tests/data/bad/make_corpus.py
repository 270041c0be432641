"""Make the corpus of bad tables and files that tests/io/test_io_untrusted.py reads.

Run from this folder (``python make_corpus.py``) to make the files again; each is small and
named after what is wrong with it. ``good/`` holds the valid tables the cases start from.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent

REGIONS = """编码,名称,级别,上级编码,帮扶优先级
14,山西省,省,,
1401,太原市,市,14,
140121,清徐县,县,1401,重点帮扶地区
"""
ORGANIZATIONS = """组织编号,组织名称,组织类型,登记级别,登记地区,能力_产业帮扶,能力_人才培养,最多承接项目数
o1,省农学会,农业农村类,全省性,14,0.9,0.5,2
o2,县社工站,social_service,县级,140121,0.6,0.8,1
"""
HEADER = ["需求编号", "所在地区", "帮扶类别", "需求名称", "受益人数"]
ROWS = [
    ["n1", "140121", "产业帮扶", "合作社技术升级", "120"],
    ["n2", "140121", "人才培养", "电商培训", "40"],
    ["n3", "1401", "产业帮扶", "冷库建设", "300"],
]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    return "".join(",".join(row) + "\n" for row in [header, *rows])


def with_cell(row: int, column: str, value: str) -> list[list[str]]:
    rows = [list(r) for r in ROWS]
    rows[row][HEADER.index(column)] = value
    return rows


def write(name: str, data: str | bytes, encoding: str = "utf-8") -> None:
    path = HERE / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def workbook(name: str, sheets: dict[str, list[list[object]]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(HERE / name)


def needs_rows(typed: bool = True) -> list[list[object]]:
    rows: list[list[object]] = [list(HEADER)]
    for row in ROWS:
        rows.append([*row[:4], int(row[4]) if typed else row[4]])
    return rows


def parquet(name: str, columns: dict[str, pa.Array]) -> None:
    pq.write_table(pa.table(columns), HERE / name)


def main() -> None:
    (HERE / "good").mkdir(exist_ok=True)
    write("good/regions.csv", REGIONS)
    write("good/organizations.csv", ORGANIZATIONS)
    write("good/needs.csv", csv_text(HEADER, ROWS))

    # --- CSV ---------------------------------------------------------------------------------
    write("needs_empty.csv", b"")
    write("needs_blank_lines.csv", "\n\n\n")
    write("needs_header_only.csv", csv_text(HEADER, []))
    write("needs_duplicate_header.csv", csv_text([*HEADER, "受益人数"], [[*r, "5"] for r in ROWS]))
    write("needs_same_field.csv", csv_text([*HEADER, "beneficiaries"], [[*r, "5"] for r in ROWS]))
    write("needs_unknown_column.csv", csv_text([*HEADER, "颜色"], [[*r, "红"] for r in ROWS]))
    write(
        "needs_headerless_column.csv",
        csv_text([*HEADER, ""], [[*r, "x" if i == 1 else ""] for i, r in enumerate(ROWS)]),
    )
    write("needs_ragged.csv", csv_text(HEADER, [ROWS[0], [*ROWS[1], "extra"], ROWS[2]]))
    write("needs_not_text.csv", csv_text(HEADER, ROWS).encode("utf-8") + b"\x80\xff\xfe\n")
    write("needs_nul.csv", csv_text(HEADER, ROWS).encode("utf-8") + b"n4,14\x00,x\n")
    write("needs_gb18030.csv", csv_text(HEADER, ROWS), encoding="gb18030")
    write("needs_bool_text.csv", csv_text(HEADER, with_cell(1, "受益人数", "TRUE")))
    write("needs_unknown_region.csv", csv_text(HEADER, with_cell(2, "所在地区", "999999")))
    write("needs_huge_number.csv", csv_text(HEADER, with_cell(0, "受益人数", "1e400")))
    write("needs_negative.csv", csv_text(HEADER, with_cell(1, "受益人数", "-5")))
    write("needs_bad_category.csv", csv_text(HEADER, with_cell(2, "帮扶类别", "修桥")))
    write("needs_duplicate_id.csv", csv_text(HEADER, with_cell(2, "需求编号", "n1")))
    write(
        "needs_continues_unknown.csv",
        csv_text(
            [*HEADER, "接续组织", "接续评价"],
            [[*ROWS[0], "o9", "5"], [*ROWS[1], "o1", "4"], [*ROWS[2], "", ""]],
        ),
    )
    write(
        "needs_formula_text.csv",
        csv_text(HEADER, with_cell(0, "需求名称", "'=1+1")) + "n4,1401,人才培养,'@SUM(A1),3\n",
    )
    # A blank line, then a bad row: rows are counted as a spreadsheet shows them (row 6).
    write(
        "needs_blank_line_then_bad.csv",
        csv_text(HEADER, ROWS) + "\n" + "n4,nowhere,产业帮扶,道路硬化,10\n",
    )
    # A title over two lines, then a bad row: still row 4 of the sheet (line 5 of the file).
    write(
        "needs_multiline_then_bad.csv",
        csv_text(HEADER, [ROWS[0], ["n2", "140121", "人才培养", '"电商\n培训"', "40"]])
        + "n3,nowhere,产业帮扶,冷库建设,300\n",
    )
    write(
        "organizations_same_capability.csv",
        ORGANIZATIONS.replace("最多承接项目数\n", "最多承接项目数,capability_industry\n")
        .replace(",2\n", ",2,0.1\n")
        .replace(",1\n", ",1,0.2\n"),
    )
    write("pair_scores_unknown_org.csv", "需求编号,组织编号,得分\nn1,o1,3.5\nn2,o9,2\n")
    write("needs.json", json.dumps({"needs": ROWS}, ensure_ascii=False))

    # --- Excel -------------------------------------------------------------------------------
    write("needs_corrupt.xlsx", b"PK\x03\x04 this is not a workbook")
    workbook("needs_ok.xlsx", {"需求": needs_rows()})
    data = (HERE / "needs_ok.xlsx").read_bytes()
    (HERE / "needs_ok.xlsx").unlink()
    write("needs_truncated.xlsx", data[: len(data) // 2])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "a zip, but no workbook inside")
    write("needs_zip_without_workbook.xlsx", buffer.getvalue())
    workbook("needs_empty_sheet.xlsx", {"需求": []})
    rows = needs_rows()
    rows[2][4] = "=100+20"  # openpyxl saves a formula without a value
    workbook("needs_formula_no_value.xlsx", {"需求": rows})
    # The same formula with the value Excel would have saved next to it.
    formula = HERE / "needs_formula_no_value.xlsx"
    with (
        zipfile.ZipFile(formula) as source,
        zipfile.ZipFile(HERE / "needs_formula_cached.xlsx", "w") as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<f>100+20</f><v></v>", b"<f>100+20</f><v>120</v>")
                content = content.replace(b"<f>100+20</f><v />", b"<f>100+20</f><v>120</v>")
                assert b"<v>120</v>" in content, content
            target.writestr(item, content)
    rows = needs_rows()
    rows[1][4] = True
    workbook("needs_bool_cell.xlsx", {"需求": rows})
    rows = needs_rows()
    rows[3][4] = "#DIV/0!"  # openpyxl writes an error cell
    workbook("needs_error_cell.xlsx", {"需求": rows})
    rows = needs_rows()
    rows[0].append("需求名称")
    rows[1].append("重复")
    workbook("needs_duplicate_header.xlsx", {"需求": rows})
    rows = needs_rows()
    rows[2][4] = datetime(2024, 5, 1)
    workbook("needs_date_cell.xlsx", {"需求": rows})
    rows = needs_rows()
    rows[3][1] = "nowhere"
    workbook("needs_header_in_row3.xlsx", {"需求": [[], [], *rows]})
    rows = needs_rows()
    rows[1][1] = 140121  # ids typed as numbers: read as text
    workbook("needs_numeric_ids.xlsx", {"需求": rows})
    # A sheet that claims to span A1:XFD1048576 but holds four rows: read as the rows it holds.
    workbook("needs_huge_dimension.xlsx", {"需求": needs_rows()})
    path = HERE / "needs_huge_dimension.xlsx"
    parts = {}
    with zipfile.ZipFile(path) as source:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b'<dimension ref="A1:E4"', b'<dimension ref="A1:XFD1048576"'
                )
                assert b"XFD1048576" in content
            parts[item.filename] = content
    with zipfile.ZipFile(path, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)
    write("needs.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200))

    regions = [line.split(",") for line in REGIONS.strip().splitlines()]
    organizations = [line.split(",") for line in ORGANIZATIONS.strip().splitlines()]
    workbook(
        "problem_two_needs_sheets.xlsx",
        {"地区": regions, "组织": organizations, "需求": needs_rows(), "needs": needs_rows()},
    )
    workbook(
        "problem_policy_clash.xlsx",
        {
            "地区": regions,
            "组织": organizations,
            "需求": needs_rows(),
            "政策": [["参数", "取值"], ["weights", 5], ["weights.priority", 6]],
        },
    )
    workbook("problem_missing_needs.xlsx", {"地区": regions, "组织": organizations})
    english = needs_rows()
    english[0] = ["id", "region", "category", "title", "beneficiaries"]
    english[3][4] = -1
    workbook(
        "problem_english.xlsx",
        {"regions": regions, "organizations": organizations, "needs": english},
    )

    # --- Parquet -----------------------------------------------------------------------------
    base = {name: pa.array([row[i] for row in ROWS]) for i, name in enumerate(HEADER[:4])}
    parquet("needs_bool.parquet", {**base, "受益人数": pa.array([True, False, True])})
    parquet(
        "needs_bytes.parquet",
        {**base, "需求名称": pa.array([b"a", b"\xff", b"c"]), "受益人数": pa.array([1, 2, 3])},
    )
    write("needs_corrupt.parquet", b"PAR1 not really PAR1")
    pq.write_table(pa.table({}), HERE / "needs_no_columns.parquet")
    duplicated = pa.Table.from_arrays(
        [*base.values(), pa.array([1, 2, 3]), pa.array([4, 5, 6])], names=[*HEADER, "受益人数"]
    )
    pq.write_table(duplicated, HERE / "needs_duplicate_names.parquet")
    parquet(
        "needs_list_cell.parquet",
        {
            **base,
            "所在地区": pa.array([["140121"], ["140121", "1401"], ["1401"]]),
            "受益人数": pa.array([1, 2, 3]),
        },
    )

    # --- plan JSON ---------------------------------------------------------------------------
    write("plan_empty.json", b"")
    write("plan_truncated.json", '{"status": "optimal", "assignments": [{"need_id": "n1"')
    write("plan_not_utf8.json", b'{"status": "\xff\xfe"}')
    write("plan_deep.json", "[" * 1000 + "]" * 1000)
    write("plan_wrong_types.json", json.dumps({"status": 3, "assignments": "none"}))


if __name__ == "__main__":
    main()
