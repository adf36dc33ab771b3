#!/usr/bin/env python3
"""The audit trail's fault campaign, run against the real binary: bad inputs (each must exit
2 or 3 with a message naming its file, line, column, flag or setting — never 0, 101 or a
signal), kill -9 at random moments (the workspace must reopen and compare to the reference
numbers; the rules file must parse), concurrent writers of one rules file (every decision a
process reported must be in the file), and credentials put where users put them (none may
appear in any output or in the cache's run records).

Usage: scripts/fault_campaign.py [--assay PATH] [--kills N] [--seed S]
Prints one line per finding and the counts; exits 1 when anything failed.
"""

import argparse
import glob
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ARGS = None
FAILURES = []


def assay(ws, *args, env=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([ARGS.assay, *args], cwd=ws, env=e, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def fail(what, detail):
    FAILURES.append(what)
    print(f"FAIL {what}: {detail[:400]}")


def demo(root, name="ws", rows="400", built=True):
    code, out = assay(root, "demo", name, "--rows", rows, "--seed", "5")
    assert code == 0, out
    ws = os.path.join(root, name)
    if built:
        for args in (["extract", "--all"], ["build"]):
            code, out = assay(ws, *args)
            assert code == 0, out
    return ws


# ---------------------------------------------------------------- bad inputs

def bad_inputs(root):
    ws = demo(root, "bad")
    legacy = sorted(glob.glob(os.path.join(ws, "legacy/acme/sales_*.csv")))[0]
    original = open(legacy, "rb").read()
    header = original.split(b"\n", 1)[0]
    adhoc = os.path.join(root, "adhoc")
    os.makedirs(adhoc)

    def w(name, data):
        path = os.path.join(adhoc, name)
        open(path, "wb").write(data if isinstance(data, bytes) else data.encode())
        return name

    good = w("good.csv", "id,amt\n1,2.50\n2,3.00\n")
    cases = []  # (label, cwd, args, must_name, setup, teardown)

    def configured(label, data, must, args=("compare", "revenue", "--company", "acme")):
        cases.append((label, ws, list(args), must,
                      lambda d=data: open(legacy, "wb").write(d),
                      lambda: open(legacy, "wb").write(original)))

    def ad(label, data, must, extra=(), name="old.csv"):
        f = w(name, data)
        cases.append((label, adhoc, ["compare", "--legacy", f, "--new", good, "--key", "id",
                                     "--measure", "amt", *extra], must, None, None))

    configured("empty legacy file", b"", "sales_")
    # One year's export with no records is an empty year, not an error: it compares.
    configured("header only", header + b"\n", "legacy_rows")
    configured("latin-1 byte", original.replace(b"\n", b"\n\xe9", 1), "line 2")
    configured("field too many", original.replace(b"\n", b",x\n", 2), "line")
    configured("unterminated quote", original + b'"open,1\n', "line")
    configured("duplicate column", header + b"," + header.split(b",")[0] + b"\n", "both named")
    configured("case-only duplicate", header + b"," + header.split(b",")[0].upper() + b"\n",
               "differ only in case")
    configured("doubled BOM", b"\xef\xbb\xbf\xef\xbb\xbf" + original, "byte-order marks")
    configured("UTF-16 without mark", original.decode().encode("utf-16-le"), "UTF-16")
    cols = header.decode().split(",")
    amount = cols.index("net_amount")

    def with_amount(value):
        lines = original.decode().split("\n")
        cells = lines[1].split(",")
        cells[amount] = value
        lines[1] = ",".join(cells)
        return "\n".join(lines).encode()

    for value, must in [("n/a", "does not read"), ("NaN", "not an amount"),
                        ("+10.50", "+` sign"), ("1" * 40, "digits"), ("12\x0050", "NUL")]:
        configured(f"amount {value!r}", with_amount(value), must)
    configured("record over 2 MB", header + b"\n1," + b"x" * 2_100_000 + b"\n", "2 MB")

    ad("ad hoc JSON cut off", '[{"id":1,"amt":2.5},\n{"id":2,', "line", name="cut.json")
    ad("ad hoc JSON garbage", "{not json", "line 1", name="bad.json")
    ad("ad hoc empty", "", "empty", name="empty.csv")
    ad("ad hoc header only", "id,amt\n", "no value", name="header.csv")
    ad("ad hoc decimal comma", "id;amt\n1;2,50\n", "decimal", name="dc.csv",
       extra=("--legacy-delimiter", ";"))
    ad("ad hoc case duplicate", "id,Amt,amt\n1,2,3\n", "differ only in case", name="cd.csv")
    ad("ad hoc missing key", "nokey,amt\n1,2\n", "id", name="nk.csv")
    cases.append(("ad hoc no such file", adhoc,
                  ["compare", "--legacy", "nope*.csv", "--new", good, "--key", "id"], "nope",
                  None, None))
    cases.append(("bad date format flag", adhoc,
                  ["compare", "--legacy", good, "--new", good, "--key", "id",
                   "--legacy-date-format", "%Q"], "%Q", None, None))
    cases.append(("explain --top 0", ws, ["explain", "revenue", "--top", "0"], "--top", None,
                  None))
    cases.append(("ack unknown company", ws, ["ack", "--company", "nope"], "nope", None, None))
    cases.append(("map on configured", ws, ["compare", "revenue", "--map", "a=b"], "--legacy",
                  None, None))
    cases.append(("as-of missing run", ws, ["sql", "--as-of", "999999", "SELECT 1"], "999999",
                  None, None))
    cases.append(("unknown comparison", ws, ["compare", "nope"], "nope", None, None))
    cases.append(("unknown company", ws, ["compare", "revenue", "--company", "nope"], "nope",
                  None, None))
    cases.append(("bad SQL", ws, ["sql", "SELEC 1"], "SELEC", None, None))

    rules = os.path.join(ws, "rules", "revenue.toml")
    os.makedirs(os.path.dirname(rules), exist_ok=True)
    secret = os.path.join(root, "secret.txt")
    open(secret, "w").write("hunter2-campaign")
    for label, text, must in [
        ("rules [[rules]]", '[[rules]]\nname = "a"\n', "line 1"),
        ("rules unknown key", '[[rule]]\nname = "a"\nkind = "exclude"\nwhere = "x = 1"\nstauts = "y"\n', "line 5"),
        ("rules empty where", '[[rule]]\nname = "a"\nkind = "exclude"\nwhere = ""\n', "line 4"),
        ("rules paren escape", '[[rule]]\nname = "a"\nkind = "exclude"\nwhere = "1=1) OR (1=1"\n', "line 4"),
        ("rules read_text", f'[[rule]]\nname = "a"\nkind = "exclude"\nwhere = "x = (SELECT content FROM read_text(\'{secret}\'))"\n', "line 4"),
        ("rules semicolon", '[[rule]]\nname = "a"\nkind = "exclude"\nwhere = "1; DROP TABLE t"\n', "line 4"),
        ("rules bad kind", '[[rule]]\nname = "a"\nkind = "drop"\nwhere = "x = 1"\n', "rule 1"),
        ("rules not TOML", "[[rule]\n", "revenue.toml"),
    ]:
        cases.append((label, ws, ["rules", "revenue"], must,
                      lambda t=text: open(rules, "w").write(t), lambda: os.remove(rules)))

    cfg = os.path.join(ws, "assay.toml")
    cfg_text = open(cfg).read()
    for label, new, must in [
        ("config bad date_format", cfg_text.replace('date_format = "%Y-%m-%d"', 'date_format = "%Y-%Q"', 1), "date_format"),
        ("config unknown key", cfg_text + "\n[workspace2]\nx = 1\n", "workspace2"),
        ("config written password", cfg_text + '\n[sources.x]\nkind = "postgres"\nhost = "h"\ndatabase = "d"\nuser = "u"\npassword = "p"\n', "password_env"),
        ("config not UTF-8", b"\xff\xfe garbage", "assay.toml"),
        ("config warehouse timeout 0", cfg_text.replace('[warehouse]\nkind = "duckdb"', '[warehouse]\nkind = "clickhouse"\nurl = "http://127.0.0.1:1"\ndatabase = "x"\nconnect_timeout_secs = 0', 1), "warehouse.connect_timeout_secs"),
    ]:
        def setup(n=new):
            open(cfg, "wb").write(n if isinstance(n, bytes) else n.encode())
        cases.append((label, ws, ["validate"], must, setup,
                      lambda: open(cfg, "w").write(cfg_text)))

    clear = 0
    for label, cwd, args, must, setup, teardown in cases:
        if setup:
            setup()
        try:
            code, out = assay(cwd, *args)
        finally:
            if teardown:
                teardown()
        ok = code in (1, 2, 3) and "panicked" not in out and must in out \
            and "hunter2" not in out
        if ok:
            clear += 1
        else:
            fail(f"bad input: {label}", f"exit {code}: {out}")
    return clear, len(cases)


# ---------------------------------------------------------------- kills

def reference(ws):
    code, out = assay(ws, "compare", "revenue", "--format", "json")
    r = json.loads(out[out.index("{"):]) if "{" in out else None
    return code, r and (r["revenue"]["measures"][0]["legacy"], r["revenue"]["measures"][0]["new"],
                        r["revenue"]["rows"]["matched"])


def kills(root, n):
    base = demo(root, "kbase", rows="2000")
    code, ref = reference(base)
    survived = 0
    rng = random.Random(ARGS.seed)
    commands = [["compare", "revenue"], ["extract", "--all"], ["build"],
                ["explain", "revenue"], ["rules", "revenue", "suggest"]]
    for i in range(n):
        ws = os.path.join(root, f"k{i}")
        shutil.copytree(base, ws)
        # A changed legacy file makes compare import again, so kills can land in an import.
        for f in glob.glob(os.path.join(ws, "legacy/*/sales_*.csv")):
            os.utime(f, None)
        args = commands[i % len(commands)]
        p = subprocess.Popen([ARGS.assay, *args], cwd=ws, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.05, 1.5))
        p.kill()
        p.wait()
        rules = os.path.join(ws, "rules", "revenue.toml")
        parses = True
        if os.path.exists(rules):
            c, out = assay(ws, "rules", "revenue", "--format", "json")
            parses = "revenue.toml" not in out or c in (0, 1)
        for again in (["extract", "--all"], ["build"]):
            assay(ws, *again)
        c2, got = reference(ws)
        if got == ref and c2 == code and parses:
            survived += 1
        else:
            fail(f"kill during {' '.join(args)}", f"{got} vs {ref}, exit {c2}")
        shutil.rmtree(ws)
    return survived, n


# ---------------------------------------------------------------- concurrent writes

def concurrent(root, n=20):
    ws = demo(root, "conc", built=False)
    rules = os.path.join(ws, "rules", "revenue.toml")
    os.makedirs(os.path.dirname(rules), exist_ok=True)
    open(rules, "w").write("".join(
        f'[[rule]]\nname = "r{i}"\nkind = "exclude"\nwhere = "branch_id = {i}"\n\n'
        for i in range(n)))
    procs = [subprocess.Popen([ARGS.assay, "rules", "revenue", "accept" if i % 2 else "reject",
                               f"r{i}", "--note", f"n{i}"], cwd=ws,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(n)]
    said = [(i, p.wait()) for i, p in enumerate(procs)]
    text = open(rules).read()
    kept = 0
    for i, code in said:
        want = "accepted" if i % 2 else "rejected"
        block = [b for b in text.split("[[rule]]") if f'name = "r{i}"' in b]
        if code == 0 and block and f'status = "{want}"' in block[0] and f'note = "n{i}"' in block[0]:
            kept += 1
        else:
            fail(f"concurrent decision r{i}", f"exit {code}")
    return kept, n


# ---------------------------------------------------------------- leaks

def leaks(root):
    ws = demo(root, "leak", built=False)
    cfg = os.path.join(ws, "assay.toml")
    base = open(cfg).read()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    held = []
    threading.Thread(target=lambda: [held.append(listener.accept()) for _ in range(100)],
                     daemon=True).start()
    secret = "S3cr3tCampaign"
    urls = [f"http://127.0.0.1:{port}/?user=ops&password={secret}",
            f"http://ops:{secret}@127.0.0.1:{port}",
            f"http://127.0.0.1:{port}/?token={secret}",
            f"http://127.0.0.1:1/?password={secret}",
            f"http://ops:{secret}@127.0.0.1:1/?key={secret}"]
    attempts = 0
    found = 0
    for u in urls:
        for how in ("url", "url_env"):
            attempts += 1
            line = f'url = "{u}"' if how == "url" else 'url_env = "CAMPAIGN_URL"'
            open(cfg, "w").write(base + f'\n[warehouse]\nkind = "clickhouse"\n{line}\n'
                                 f'database = "x"\nconnect_timeout_secs = 1\n')
            outs = []
            for args in (["sql", "--warehouse", "SELECT 1"], ["extract", "--all"],
                         ["runs", "--format", "json"], ["freshness", "--problems"]):
                _, out = assay(ws, *args, env={"CAMPAIGN_URL": u}, timeout=60)
                outs.append(out)
            cache = os.path.join(ws, ".assay", "cache.duckdb")
            in_cache = os.path.exists(cache) and secret.encode() in open(cache, "rb").read()
            if any(secret in o for o in outs) or in_cache:
                found += 1
                fail(f"leak via warehouse.{how} {u.split('://')[1][:30]}",
                     next((o for o in outs if secret in o), "in the cache file"))
    # A source URL given by url_env.
    attempts += 1
    open(cfg, "w").write(base + '\n[sources.pgx]\nkind = "postgres"\nurl_env = "PGX"\n\n'
                         '[entities.pgx_sales]\nsource = "pgx"\nquery = "SELECT 1 AS id"\n'
                         'keys = ["id"]\n')
    _, out = assay(ws, "extract", "--all", "--entity", "pgx_sales",
                   env={"PGX": f"postgres://postgres:{secret}@127.0.0.1:5432/no_such_db_x"})
    if secret in out:
        found += 1
        fail("leak via sources.url_env", out)
    open(cfg, "w").write(base)
    return found, attempts


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/assay-target"))
    ap.add_argument("--assay", default=os.path.join(target, "release", "assay"))
    ap.add_argument("--kills", type=int, default=25)
    ap.add_argument("--seed", type=int, default=7)
    ARGS = ap.parse_args()
    root = tempfile.mkdtemp(prefix="assay-campaign-")
    try:
        clear, bad = bad_inputs(root)
        print(f"bad inputs with a clear error: {clear}/{bad}")
        kept, writes = concurrent(root)
        print(f"concurrent decisions kept: {kept}/{writes}")
        found, attempts = leaks(root)
        print(f"credential leaks found: {found} in {attempts} attempts")
        survived, n = kills(root, ARGS.kills)
        print(f"kills survived: {survived}/{n}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
