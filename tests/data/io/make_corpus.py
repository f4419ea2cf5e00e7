"""Write the corpus of hostile and real data files read by tests/test_io_corpus.py.

Run from this folder (``python make_corpus.py``) to regenerate the files and
``cases.json``; the files are committed, so the tests do not run this. The
scikit-learn files (iris.csv, wine_data.csv, breast_cancer.csv; BSD-3-Clause,
see LICENSE-sklearn.txt) are copied from the installed package.

Each case of cases.json: ``file``, ``args`` (extra options of fit, predict
and choose-k), ``k``, and either ``ok`` (``n_samples``, ``n_features``,
``columns``, and ``partition``, the expected clusters as labels in order of
first appearance, when the file is one of the two-group tables) or ``error``
(a regex of the one-line message).
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import shutil
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

#: Two tight groups far apart: the right 2 clusters are obvious.
ROWS = [(0.1, 0.2), (0.3, 0.1), (0.2, 0.4), (10.1, 10.3), (10.2, 9.9), (9.8, 10.1)]
PARTITION = [0, 0, 0, 1, 1, 1]
XY = "x,y\n" + "".join(f"{a},{b}\n" for a, b in ROWS)
NOHEAD = "".join(f"{a},{b}\n" for a, b in ROWS)

cases: list[dict] = []


def write(name: str, content: str | bytes) -> str:
    data = content.encode("utf-8") if isinstance(content, str) else content
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    return name


def ok(case_id: str, name: str, *, columns=None, n=6, d=2, partition=PARTITION, args=(), k=2):
    cases.append({"id": case_id, "file": name, "args": list(args), "k": k,
                  "ok": {"n_samples": n, "n_features": d, "columns": columns, "partition": partition}})


def error(case_id: str, name: str, regex: str, *, args=(), k=2):
    cases.append({"id": case_id, "file": name, "args": list(args), "k": k, "error": regex})


# -- well-formed, odd: read exactly --------------------------------------------------
ok("plain", write("plain.csv", XY), columns=["x", "y"])
ok("no header", write("no_header.csv", NOHEAD))
ok("crlf", write("crlf.csv", XY.replace("\n", "\r\n")), columns=["x", "y"])
ok("utf-8 bom", write("bom.csv", b"\xef\xbb\xbf" + XY.encode()), columns=["x", "y"])
ok("bom and crlf", write("bom_crlf.csv", b"\xef\xbb\xbf" + XY.replace("\n", "\r\n").encode()), columns=["x", "y"])
ok("old mac cr", write("cr_only.csv", XY.replace("\n", "\r")), columns=["x", "y"])
ok("semicolons", write("semicolon.csv", XY.replace(",", ";")), columns=["x", "y"])
ok("tabs", write("tabs.tsv", XY.replace(",", "\t")), columns=["x", "y"])
ok("pipes", write("pipes.txt", XY.replace(",", "|")), columns=["x", "y"])
ok("runs of spaces", write("spaces.txt", XY.replace(",", "    ")), columns=["x", "y"])
ok("all quoted", write("quoted.csv", "".join(",".join(f'"{v}"' for v in ln.split(",")) + "\n"
                                             for ln in XY.splitlines())), columns=["x", "y"])
ok("quoted commas in a text column",
   write("quoted_commas.csv", "name,x,y\n" + "".join(f'"Smith, J{i}",{a},{b}\n' for i, (a, b) in enumerate(ROWS))),
   columns=["x", "y"], args=["--columns", "x,y"])
ok("quoted newline in a text column",
   write("quoted_newline.csv", "name,x,y\n" + "".join(f'"line one\nline two {i}",{a},{b}\n'
                                                       for i, (a, b) in enumerate(ROWS))),
   columns=["x", "y"], args=["--columns", "2,3"])
ok("blank lines", write("blank_lines.csv", "\n" + XY.replace("\n", "\n\n")), columns=["x", "y"])
ok("no final newline", write("no_final_newline.csv", XY.rstrip("\n")), columns=["x", "y"])
ok("spaces around cells", write("padded.csv", "".join(" " + c.replace(",", " , ") + " \n" for c in XY.splitlines())),
   columns=["x", "y"])
ok("scientific notation", write("scientific.csv", "x,y\n" + "".join(f"{a:.3e},{b:.3E}\n" for a, b in ROWS)),
   columns=["x", "y"])
ok("gzip", write("plain.csv.gz", gzip.compress(XY.encode(), mtime=0)), columns=["x", "y"])
ok("bz2", write("plain.csv.bz2", bz2.compress(XY.encode())), columns=["x", "y"])
ok("xz", write("plain.csv.xz", lzma.compress(XY.encode())), columns=["x", "y"])
ok("gzip without .gz", write("gzip_inside.csv", gzip.compress(XY.encode(), mtime=0)), columns=["x", "y"])
ok("latin-1 with --encoding", write("latin1.csv", XY.replace("x,y", "température,humidité").encode("latin-1")),
   columns=["température", "humidité"], args=["--encoding", "latin-1"])
ok("utf-16 with bom", write("utf16.csv", XY.encode("utf-16")), columns=["x", "y"])
ok("leading comment lines", write("comments_leading.csv", "# made by hand\n# units: m\n" + XY), columns=["x", "y"])
ok("comment lines between rows",
   write("comments_between.csv", XY.replace("0.3,0.1\n", "0.3,0.1\n# a note\n  # indented note\n")), columns=["x", "y"])
ok("numpy savetxt with header", write("savetxt.txt", "# x y\n" + "".join(f"{a:.18e} {b:.18e}\n" for a, b in ROWS)))
ok("decimal commas with --decimal", write("decimal_comma.csv", XY.replace(",", ";").replace(".", ",")),
   columns=["x", "y"], args=["--decimal", ","])
ok("numeric header, text first column",
   write("numeric_header.csv", "country,2019,2020\n" + "".join(f"{c},{a + 0.05},{b + 0.05}\n"
                                                             for c, (a, b) in zip("ABCDEF", ROWS))),
   columns=["2019", "2020"], args=["--columns", "2-3"])
ok("numeric header, selected by name",
   "numeric_header.csv", columns=["2019", "2020"], args=["--columns", "2019,2020"])
ok("title line skipped", write("title_line.csv", "Measurements of 2024\n" + XY), columns=["x", "y"],
   args=["--skip-rows", "1"])


def pandas_csv(index_name: str, index: list[int]) -> str:
    head = f"{index_name},x,y\n"
    return head + "".join(f"{i},{a},{b}\n" for i, (a, b) in zip(index, ROWS))


ok("pandas index", write("pandas_index.csv", pandas_csv("", list(range(6)))), columns=["x", "y"])
ok("pandas index of a filtered frame", write("pandas_index_filtered.csv", pandas_csv("", [2, 3, 7, 11, 12, 40])),
   columns=["x", "y"])
ok("pandas Unnamed: 0 and index",
   write("pandas_unnamed.csv", ",Unnamed: 0,x,y\n" + "".join(f"{i},{i},{a},{b}\n" for i, (a, b) in enumerate(ROWS))),
   columns=["x", "y"])
ok("R row names", write("r_rownames.csv", '"","x","y"\n' + "".join(f'"{i + 1}",{a},{b}\n'
                                                                   for i, (a, b) in enumerate(ROWS))),
   columns=["x", "y"])
ok("R write.csv with row labels",
   write("r_labels.csv", '"","x","y"\n' + "".join(f'"car {c}",{a},{b}\n' for c, (a, b) in zip("ABCDEF", ROWS))),
   columns=["x", "y"])
ok("R write.table: quoted, blank-separated, one name fewer",
   write("r_write_table.txt", '"x" "y"\n' + "".join(f'"Mazda RX{i}" {a} {b}\n' for i, (a, b) in enumerate(ROWS))),
   columns=["x", "y"])
ok("R write.table with row numbers",
   write("r_write_table_numbers.txt", '"x" "y"\n' + "".join(f'"{i + 1}" {a} {b}\n' for i, (a, b) in enumerate(ROWS))),
   columns=["x", "y"])
ok("one column", write("one_column.csv", "x\n" + "".join(f"{a + b}\n" for a, b in ROWS)), columns=["x"], d=1)
ok("one row", write("one_row.csv", "1.5,2.5,3.5\n"), n=1, d=3, partition=[0], k=1)
ok("one row with header", write("one_row_header.csv", "a,b\n1.5,2.5\n"), columns=["a", "b"], n=1, d=2,
   partition=[0], k=1)
ok("huge text field", write("huge_text_field.csv", "notes,x,y\n" + "".join(
    f'"{"long text " * (14_000 if i == 2 else 1)}",{a},{b}\n' for i, (a, b) in enumerate(ROWS))),
   columns=["x", "y"], args=["--columns", "x,y"])
wide = np.repeat(np.array(ROWS), 150, axis=1)  # 300 features
ok("wide", write("wide.csv", "".join(",".join(repr(float(v)) for v in r) + "\n" for r in wide)), d=300)

# -- hostile: one line, exit 2 -------------------------------------------------------
error("ragged, a wider row", write("ragged_wide.csv", "a,b\n1,2\n4,5,60\n7,8\n"),
      r"line 3 has 3 field\(s\), expected 2")
error("ragged, a shorter row", write("ragged_short.csv", "1,2,3\n4,5,6\n7,8\n9,10,11\n"),
      r"line 3 has 2 field\(s\), expected 3")
error("ragged below the sample", write("ragged_late.csv", NOHEAD * 20 + "1,2,3\n" + NOHEAD),
      r"line 121 has 3 field\(s\), expected 2")
error("title line", "title_line.csv", r"line 2 has 2 field\(s\) like every row below it, but line 1 has 1.*--skip-rows 1")
error("empty cell", write("empty_cell.csv", "x,y\n1,2\n3,\n5,6\n"), r"line 3, column 2 \('y'\): empty value")
error("text cell", write("text_cell.csv", "x,y\n1,2\n3,4\n5,oops\n"), r"line 4, column 2 \('y'\): 'oops' is not a number")
error("nan cell", write("nan_cell.csv", "x,y\n1,2\nnan,4\n5,6\n"), r"line 3, column 1 \('x'\): NaN")
error("inf cell", write("inf_cell.tsv", "1\t2\n3\t-inf\n5\t6\n"), r"line 2, column 2: -inf")
error("huge number", write("huge_number.csv", "1" * 400 + ",2\n3,4\n5,6\n"), r"line 1, column 1: inf")
error("empty file", write("empty.csv", ""), r"the file is empty")
error("only comments", write("only_comments.csv", "# nothing\n# here\n"), r"the file is empty \(only comment lines")
error("only a header", write("only_header.csv", "a,b,c\n"), r"no data rows \(only a header\)")
error("zip archive", write("archive.zip", b""), r"")  # replaced below by a real archive
cases.pop()
zpath = os.path.join(HERE, "archive.zip")
with zipfile.ZipFile(zpath, "w") as z:
    z.writestr(zipfile.ZipInfo("data.csv", date_time=(2020, 1, 1, 0, 0, 0)), XY)
error("zip archive", "archive.zip", r"a zip archive; unzip it first")
error("binary", write("binary.csv", bytes(range(256)) * 8), r"not a UTF-8 text file.*looks binary")
error("latin-1 without --encoding", "latin1.csv", r"not a UTF-8 text file.*--encoding latin-1")
error("named .gz, not gzip", write("fake.csv.gz", XY), r"named \.gz but not compressed that way")
error("truncated gzip", write("truncated.csv.gz", gzip.compress((XY * 50).encode(), mtime=0)[:60]),
      r"damaged gzip file")
error("decimal commas without --decimal", "decimal_comma.csv", r"'0,1' has a decimal comma; pass --decimal ,")
error("numeric header, text column not selected", "numeric_header.csv",
      r"non-numeric column 1 \('country'\) \(line 2: 'A'\); select numeric columns, e.g. --columns 2,3")
error("unterminated quote", write("unterminated_quote.csv", 'a,b\n"1,2\n3,4\n'), r"line 2 has 1 field\(s\), expected 2")
error("too few rows for k", "one_row.csv", r"n_clusters=2 is larger than the number of samples n_samples=1")

# -- real files other packages ship -------------------------------------------------
try:
    import sklearn

    src = os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data")
    for name in ("iris.csv", "wine_data.csv", "breast_cancer.csv"):
        shutil.copyfile(os.path.join(src, name), os.path.join(HERE, "sklearn_" + name))
except ImportError:  # pragma: no cover - the copies are committed
    pass
ok("scikit-learn iris.csv (its first line is a header of counts and class names)", "sklearn_iris.csv",
   columns=["150", "4", "setosa", "versicolor", "virginica"], n=150, d=5, partition=None, k=3)
error("scikit-learn wine_data.csv", "sklearn_wine_data.csv",
      r"line 2 has 14 field\(s\) like every row below it, but line 1 has 5.*--skip-rows 1")
ok("scikit-learn wine_data.csv, first line skipped", "sklearn_wine_data.csv", n=178, d=13, partition=None, k=3,
   args=["--skip-rows", "1", "--columns", "1-13"])
error("scikit-learn breast_cancer.csv", "sklearn_breast_cancer.csv",
      r"line 2 has 31 field\(s\) like every row below it, but line 1 has 4.*--skip-rows 1")
ok("scikit-learn breast_cancer.csv, first line skipped", "sklearn_breast_cancer.csv", n=569, d=30, partition=None,
   args=["--skip-rows", "1", "--columns", "1-30"])

# statsmodels' fertility data set layout (World Bank): four text columns, then one column per year
years = list(range(1960, 1966))
rng = np.random.default_rng(0)
lines = ["Country Name,Country Code,Indicator Name,Indicator Code," + ",".join(map(str, years))]
for i, name in enumerate(["Aruba", "Andorra", "Afghanistan", "Angola", "Albania", "Arab World", "Argentina",
                          "Armenia"]):
    base = 2.0 if i % 2 else 6.5
    vals = [f"{base + 0.1 * rng.standard_normal():.3f}" for _ in years]
    lines.append(f'"{name}",C{i:02d},"Fertility rate, total (births per woman)",SP.DYN.TFRT.IN,' + ",".join(vals))
write("fertility.csv", "\n".join(lines) + "\n")
ok("fertility layout, year columns", "fertility.csv", columns=[str(y) for y in years], n=8, d=6,
   partition=[0, 1, 0, 1, 0, 1, 0, 1], args=["--columns", "5-10"])
error("fertility layout, text columns", "fertility.csv",
      r"non-numeric column 1 \('Country Name'\), column 2 \('Country Code'\), column 3 \('Indicator Name'\), "
      r"column 4 \('Indicator Code'\) \(line 2: 'Aruba'\); select numeric columns, e.g. --columns 5,6,7,8,9,10")
gaps = lines[:3] + [lines[3].rsplit(",", 2)[0] + ",,"] + lines[4:]
write("fertility_gaps.csv", "\n".join(gaps) + "\n")
error("fertility layout, missing years", "fertility_gaps.csv", r"line 4, column 9 \('1964'\): empty value",
      args=["--columns", "5-10"])

with open(os.path.join(HERE, "cases.json"), "w") as f:
    json.dump(cases, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(len(cases), "cases,", len({c["file"] for c in cases}), "files")
