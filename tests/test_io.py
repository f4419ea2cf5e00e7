"""Reading data files for the command line (optimeans._io)."""

import numpy as np
import pytest

from optimeans._io import DataError, column_names, dataset_table, parse_columns, read_table


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_text(text, encoding=encoding)
    return p


def test_parse_columns():
    assert parse_columns("a, b") == ["a", "b"]
    assert parse_columns("1,3-5") == [1, 3, 4, 5]
    assert parse_columns(None) is None
    with pytest.raises(DataError, match="positions start at 1"):
        parse_columns("0")
    with pytest.raises(DataError, match="bad range '5-3'"):
        parse_columns("5-3")


@pytest.mark.parametrize(
    "name, text, header",
    [
        ("semi.csv", "a;b\n1;2\n3;4\n", True),
        ("quoted.csv", '"a","b"\n"1","2"\n"3","4"\n', True),
        ("bom.csv", "\ufeffa,b\n1,2\n3,4\n", True),
        ("pipes.txt", "1|2\n3|4\n", False),
        ("crlf.csv", "a,b\r\n1,2\r\n3,4\r\n", True),
    ],
)
def test_delimiters_and_headers(tmp_path, name, text, header):
    p = write(tmp_path, name, text)
    t = read_table(p)
    np.testing.assert_array_equal(t.X, [[1.0, 2.0], [3.0, 4.0]])
    assert t.header is header
    assert t.columns == (["a", "b"] if header else None)


def test_decimal_commas_are_named(tmp_path):
    p = write(tmp_path, "eu.csv", "a;b\n1,5;2\n3;4\n")
    with pytest.raises(DataError, match=r"line 2, column 1( \('a'\))?: '1,5' has a decimal comma"):
        read_table(p)
    p = write(tmp_path, "eu2.csv", "a;b\n1;2\n3,5;4\n")
    with pytest.raises(DataError, match=r"line 3, column 1( \('a'\))?: '3,5' has a decimal comma"):
        read_table(p)


def test_header_detection_with_a_text_column_and_no_header(tmp_path):
    p = write(tmp_path, "x.csv", "1.0,2.0,setosa\n3.0,4.0,virginica\n")
    with pytest.raises(DataError, match=r"non-numeric column 3 \(line 1: 'setosa'\); select numeric columns, e.g. --columns 1,2"):
        read_table(p)
    t = read_table(p, columns="1,2")
    assert not t.header and t.X.shape == (2, 2)
    t = read_table(write(tmp_path, "y.csv", "x,1\n5,6\n"))  # numeric-looking header name
    assert t.header and t.columns == ["x", "1"]
    t = read_table(write(tmp_path, "z.csv", "x,1\n5,6\n"), header="no", columns="2")
    np.testing.assert_array_equal(t.X, [[1.0], [6.0]])


def test_npy_variants(tmp_path):
    rec = np.zeros(3, dtype=[("a", "f4"), ("b", "i8"), ("s", "U3")])
    rec["a"] = [1, 2, 3]
    rec["b"] = [4, 5, 6]
    p = tmp_path / "rec.npy"
    np.save(p, rec)
    assert column_names(p) == ["a", "b", "s"]
    with pytest.raises(DataError, match=r"non-numeric field\(s\) 's'"):
        read_table(p)
    t = read_table(p, columns="a,b")
    np.testing.assert_array_equal(t.X, [[1, 4], [2, 5], [3, 6]])
    assert t.X.dtype == np.float64 and t.columns == ["a", "b"]
    one = tmp_path / "one.npy"
    np.save(one, np.arange(4.0))
    with pytest.raises(DataError, match=r"expected a 2-D array .* got shape \(4,\) \(save it as one column"):
        read_table(one)
    bad = tmp_path / "nan.npy"
    X = np.ones((5, 3))
    X[3, 2] = np.nan
    np.save(bad, X)
    with pytest.raises(DataError, match=r"NaN at X\[3, 2\]"):
        read_table(bad)
    with pytest.raises(DataError, match=r"has 3 column\(s\), there is no column 4"):
        read_table(bad, columns="4")


def test_parquet_nulls_and_types(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    p = tmp_path / "x.parquet"
    pq.write_table(pa.table({"a": pa.array([1.0, None, 3.0]), "b": pa.array([1, 2, 3], type=pa.int32())}), p)
    with pytest.raises(DataError, match=r"row 1 \(0-based\) of column 'a' is empty \(null\)"):
        read_table(p)
    t = read_table(p, columns="b")
    np.testing.assert_array_equal(t.X, [[1.0], [2.0], [3.0]])
    f32 = tmp_path / "f32.parquet"
    pq.write_table(pa.table({"a": pa.array([1.0, 2.0], type=pa.float32())}), f32)
    assert read_table(f32).X.dtype == np.float32
    assert column_names(p) == ["a", "b"]


def test_refused_formats_and_binary_text(tmp_path):
    p = tmp_path / "x.npz"
    np.savez(p, a=np.ones(2))
    with pytest.raises(DataError, match=r"\.npz files are not read; use CSV/TSV, .npy or Parquet"):
        read_table(p)
    b = tmp_path / "bin.csv"
    b.write_bytes(b"\xff\xfe\x00\x81\x82")
    with pytest.raises(DataError, match="not a UTF-8 text file"):
        read_table(b)
    with pytest.raises(DataError, match="is a directory"):
        read_table(tmp_path)


def test_dataset_table():
    t = dataset_table("iris", columns="petal_length,petal_width")
    assert t.X.shape == (150, 2) and t.columns == ["petal_length", "petal_width"]
    with pytest.raises(DataError, match="unknown data set 'nope'"):
        dataset_table("nope")


def test_labels_beside_rows_across_formats(tmp_path):
    from optimeans._io import labels_beside_rows, write_files_atomically

    src = write(tmp_path, "in.tsv", "name\ta\tb\nx\t1\t2\ny\t3\t4\n")
    t = read_table(src, columns="a,b")
    out = tmp_path / "out.tsv"
    write_files_atomically({out: labels_beside_rows(t, np.array([1, 0]), out)})
    assert out.read_text() == "name\ta\tb\tlabel\nx\t1\t2\t1\ny\t3\t4\t0\n"
    # a column already named "label" is kept; the new one gets another name
    src2 = write(tmp_path, "in2.csv", "a,label\n1,7\n3,8\n")
    t2 = read_table(src2, columns="a")
    out2 = tmp_path / "out2.csv"
    write_files_atomically({out2: labels_beside_rows(t2, np.array([0, 1]), out2)})
    assert out2.read_text() == "a,label,label_2\n1,7,0\n3,8,1\n"
    npy = tmp_path / "x.npy"
    np.save(npy, np.array([[1.5, 2.0], [3.0, 4.0]]))
    out3 = tmp_path / "out3.csv"
    write_files_atomically({out3: labels_beside_rows(read_table(npy), np.array([1, 1]), out3)})
    assert out3.read_text() == "x1,x2,label\n1.5,2.0,1\n3.0,4.0,1\n"
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    out4 = tmp_path / "out4.parquet"
    write_files_atomically({out4: labels_beside_rows(t, np.array([1, 0]), out4)})
    table = pq.read_table(out4)
    assert table.column_names == ["name", "a", "b", "label"]
    assert table.column("name").to_pylist() == ["x", "y"]
    assert table.column("a").type == pa.float64()
    assert table.column("label").to_pylist() == [1, 0]
