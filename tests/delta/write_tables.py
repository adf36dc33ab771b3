"""Delta tables for tests/delta.rs, written with delta-rs (PyPI `deltalake`), the writer
Delta users run outside Spark.

    write_tables.py base DIR     per-company tables invoices_acme / invoices_beta and one
                                 table of every company (all_invoices: partitioned by
                                 company, column mapping by name); version 0, then a delete
                                 as version 1 (delta-rs rewrites the files it deletes from:
                                 the old files stay on disk, removed in the log)
    write_tables.py evolve DIR   version 2 of invoices_acme: rows appended with a column the
                                 table did not have (schema_mode = "merge")

Each commit's file time is set (2026-01-01, -02-01, -03-01 UTC), which is the commit time
Delta readers go by when in-commit timestamps are off. Prints what was written, per table,
version and company: the rows and the exact sum of `amount`, computed here from the rows
given to the writer (not read back).
"""

import datetime as dt
import json
import os
import sys
from decimal import Decimal

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

UTC = dt.timezone.utc
COMMIT_TIMES = {
    0: dt.datetime(2026, 1, 1, tzinfo=UTC),
    1: dt.datetime(2026, 2, 1, tzinfo=UTC),
    2: dt.datetime(2026, 3, 1, tzinfo=UTC),
}

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("company", pa.string()),
        ("amount", pa.decimal128(18, 2)),
        ("sold_on", pa.date32()),
        ("stamped", pa.timestamp("us", tz="UTC")),
        ("note", pa.string()),
        ("paid", pa.bool_()),
    ]
)


def rows(company, ids):
    out = []
    for i in ids:
        cents = (i * 123456789 + (7 if company == "beta" else 3)) * (1 if i % 3 else -1)
        amount = Decimal(cents) / Decimal(100)
        if i == 1:
            amount = Decimal("123456789012345.67")
        out.append(
            {
                "id": i,
                "company": company,
                "amount": amount,
                "sold_on": dt.date(2025, 1, 1) + dt.timedelta(days=i),
                "stamped": dt.datetime(2025, 1, 1, 10, 0, tzinfo=UTC) + dt.timedelta(hours=i),
                "note": None if i == 4 else f'n{i}, "q"',
                "paid": i % 2 == 0,
            }
        )
    return out


def table(records, schema=SCHEMA):
    return pa.Table.from_pylist(records, schema=schema)


def stamp(path, version):
    log = os.path.join(path, "_delta_log", f"{version:020d}.json")
    t = COMMIT_TIMES[version].timestamp()
    os.utime(log, (t, t))


def summary(records):
    by = {}
    for r in records:
        s = by.setdefault(r["company"], {"rows": 0, "amount": Decimal("0.00")})
        s["rows"] += 1
        s["amount"] += r["amount"]
    return {c: {"rows": s["rows"], "amount": str(s["amount"].quantize(Decimal("0.01")))} for c, s in by.items()}


IDS = {"acme": range(1, 7), "beta": range(1, 5)}
DELETED = {"acme": {2, 5}, "beta": {3}}


def base(root):
    written = {}
    for company, ids in IDS.items():
        path = os.path.join(root, f"invoices_{company}")
        v0 = rows(company, ids)
        write_deltalake(path, table(v0))
        stamp(path, 0)
        gone = sorted(DELETED[company])
        DeltaTable(path).delete(f"id in ({', '.join(map(str, gone))})")
        stamp(path, 1)
        v1 = [r for r in v0 if r["id"] not in DELETED[company]]
        written[f"invoices_{company}"] = {"0": summary(v0), "1": summary(v1)}
    path = os.path.join(root, "all_invoices")
    v0 = rows("acme", IDS["acme"]) + rows("beta", IDS["beta"])
    write_deltalake(
        path,
        table(v0),
        partition_by=["company"],
        configuration={
            "delta.columnMapping.mode": "name",
            "delta.minReaderVersion": "2",
            "delta.minWriterVersion": "5",
        },
    )
    stamp(path, 0)
    DeltaTable(path).delete("id = 2")
    stamp(path, 1)
    v1 = [r for r in v0 if r["id"] != 2]
    written["all_invoices"] = {"0": summary(v0), "1": summary(v1)}
    written["all_invoices_total"] = {"1": str(sum(r["amount"] for r in v1))}
    return written


def evolve(root):
    path = os.path.join(root, "invoices_acme")
    added = rows("acme", range(7, 9))
    for r in added:
        r["channel"] = "web"
    schema = SCHEMA.append(pa.field("channel", pa.string()))
    write_deltalake(path, table(added, schema), mode="append", schema_mode="merge")
    stamp(path, 2)
    kept = [r for r in rows("acme", IDS["acme"]) if r["id"] not in DELETED["acme"]]
    return {"invoices_acme": {"2": summary(kept + added)}}


if __name__ == "__main__":
    mode, root = sys.argv[1], sys.argv[2]
    print(json.dumps(base(root) if mode == "base" else evolve(root)))
