#!/usr/bin/env python3
"""ContactQA benchmark harness: the nightly job's stages against DuckDB and pandas on the same files.

    python3 Benchmarks/run.py                      # N = 100k, 1M, 5M; installs the peers in Benchmarks/.venv
    python3 Benchmarks/run.py --sizes 100000       # one size
    python3 Benchmarks/run.py --smoke --no-peers   # a seconds-long check of the harness itself (the test suite runs it)
    python3 Benchmarks/run.py --postgres postgres://contactqa@127.0.0.1:54329/contactqa   # also both backends side by side

With --postgres (or CONTACTQA_BENCH_POSTGRES_URL), each size is also loaded into a fresh database on
that server (created with psql; the password comes from PGPASSWORD or ~/.pgpass) and the same KPI
queries run there: a second table puts the two backends side by side. With --shards too (shard
servers' URLs, comma-separated, or CONTACTQA_BENCH_SHARDS), a third column loads the same file into a
sharded store whose coordinator is on the --postgres server (`contactqa store init --shard …`). The
servers' own memory is not in the peak RSS column, which is the client's.

Each stage runs as its own process; wall time, CPU time (user + system) and peak RSS come from wait4(2).
Rows/s and MB/s are over the input file. Ratios are ContactQA / peer: below 1 means ContactQA is faster.
"""
import argparse, csv, os, shutil, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.join(ROOT, "Benchmarks")
KEY = os.path.join(ROOT, "fixtures", "keys", "demo.key")
BACKFILL_WEEK, BACKFILL_WEEK_START = "2026-W46", "2026-11-09"
NIGHT_WEEK, NIGHT_WEEK_START = "2026-W48", "2026-11-23"


def run_measured(cmd, shell=False, cwd=None):
    """Runs a command as its own process; wall time, CPU time and peak RSS from wait4(2) on its pid."""
    start = time.monotonic()
    if shell:
        cmd = ["/bin/sh", "-c", cmd]
    r, w = os.pipe()
    pid = os.posix_spawn(cmd[0] if os.path.isabs(cmd[0]) else shutil.which(cmd[0]), cmd, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_OPEN, 2, "/tmp/contactqa-bench.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
                                       (os.POSIX_SPAWN_CLOSE, r)])
    os.close(w)
    chunks = []
    while True:
        data = os.read(r, 65536)
        if not data:
            break
        chunks.append(data)
    os.close(r)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed ({os.waitstatus_to_exitcode(status)}): {' '.join(cmd)}\n" + open("/tmp/contactqa-bench.err").read()[-2000:])
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024, "out": b"".join(chunks).decode()}


def compare_kpis(a, b):
    """Two backends' KPI CSVs: counts and quantiles must be equal; means and intervals, which sum the same
    values in another order, may differ in the last bits (relative 1e-9). Returns the first difference."""
    rows_a, rows_b = list(csv.reader(a.splitlines())), list(csv.reader(b.splitlines()))
    if len(rows_a) != len(rows_b):
        return f"{len(rows_a)} rows against {len(rows_b)}"
    for ra, rb in zip(rows_a, rows_b):
        for name, x, y in zip(rows_a[0], ra, rb):
            if x == y:
                continue
            try:
                fx, fy = float(x), float(y)
            except ValueError:
                return f"{name}: {x!r} against {y!r}"
            if abs(fx - fy) > 1e-9 * max(abs(fx), abs(fy), 1e-300):
                return f"{name}: {x} against {y}"
    return None


def compare_backends(args, binary, n, csv_path, store, ingest, kpis, backend_lines, sharded_lines):
    """Loads the same file into a fresh PostgreSQL database and runs the same KPI queries there."""
    database = f"contactqa_bench_{n}"
    server = args.postgres.rsplit("/", 1)[0]
    subprocess.run(["psql", "-q", args.postgres, "-c", f"DROP DATABASE IF EXISTS {database}", "-c", f"CREATE DATABASE {database}"],
                   check=True, stdout=subprocess.DEVNULL)
    pg = f"{server}/{database}"
    pg_ingest = run_measured([binary, "ingest", "--store", pg, "--timezone", "UTC", "--source", "canonical", "--key-file", KEY, "--quiet", csv_path])
    pg_kpis = run_measured([binary, "kpis", "--store", pg, "--week", BACKFILL_WEEK, "--by", "agent", "--format", "csv"])
    pg_weeks = run_measured([binary, "kpis", "--store", pg, "--from", "2026-10-26", "--to", "2026-11-22", "--by", "week", "--format", "csv"])
    sqlite_weeks = run_measured([binary, "kpis", "--store", store, "--from", "2026-10-26", "--to", "2026-11-22", "--by", "week", "--format", "csv"])
    # The week's sample on each, under a plan name of its own (so neither reuses a recorded draw): the
    # frame streams on both, so the client's peak stays flat in N; the two samples must be the same.
    plan = os.path.join(args.work, "plan-backends.yaml")
    with open(os.path.join(args.work, "plan.yaml")) as f, open(plan, "w") as out:
        out.write(f.read().replace("name: bench", "name: bench-backends"))
    samples = {}
    for name, where in [("sqlite", store), ("postgres", pg)]:
        folder = os.path.join(args.work, f"backends-sample-{name}-{n}")
        shutil.rmtree(folder, ignore_errors=True)
        samples[name] = run_measured([binary, "sample", "--store", where, "--plan", plan, "--week", BACKFILL_WEEK, "--out", folder])
        samples[name]["csv"] = open(os.path.join(folder, "sample.csv")).read()
    if samples["sqlite"]["csv"] != samples["postgres"]["csv"]:
        sys.exit(f"the backends drew different samples of {BACKFILL_WEEK} at N = {n}")
    for stage, lite, post, per in [("ingest (one transaction per file)", ingest, pg_ingest, n),
                                   ("week's KPIs by agent with FCR", kpis, pg_kpis, None),
                                   ("all 4 weeks' KPIs by week, FCR", sqlite_weeks, pg_weeks, None),
                                   ("stratified sample of a week (streamed frame)", samples["sqlite"], samples["postgres"], None)]:
        lite_rate = f"{per / lite['wall']:,.0f}" if per else ""
        post_rate = f"{per / post['wall']:,.0f}" if per else ""
        backend_lines.append(f"| {n:,} | {stage} | {lite['wall']:.2f} | {lite['rss']:.0f} | {post['wall']:.2f} | {post['rss']:.0f} | "
                             f"{post['wall'] / lite['wall']:.2f} | {lite_rate} | {post_rate} |")
        print(backend_lines[-1], flush=True)
    disagreement = compare_kpis(kpis["out"], pg_kpis["out"])
    if disagreement:
        sys.exit(f"the backends disagree on the KPIs of {BACKFILL_WEEK} at N = {n}: {disagreement}")
    if args.shards:
        shard_servers = [u.rsplit("/", 1)[0] for u in args.shards.split(",")]
        for url in [args.postgres] + [f"{s}/postgres" for s in shard_servers]:
            subprocess.run(["psql", "-q", url.rsplit("/", 1)[0] + "/postgres", "-c", f"DROP DATABASE IF EXISTS {database}_sharded",
                            "-c", f"CREATE DATABASE {database}_sharded"], check=True, stdout=subprocess.DEVNULL)
        coordinator = f"{server}/{database}_sharded"
        subprocess.run([binary, "store", "init", "--store", coordinator, "--timezone", "UTC"]
                       + [a for s in shard_servers for a in ("--shard", f"{s}/{database}_sharded")], check=True, stdout=subprocess.DEVNULL)
        sh_ingest = run_measured([binary, "ingest", "--store", coordinator, "--source", "canonical", "--key-file", KEY, "--quiet", csv_path])
        sh_kpis = run_measured([binary, "kpis", "--store", coordinator, "--week", BACKFILL_WEEK, "--by", "agent", "--format", "csv"])
        sh_weeks = run_measured([binary, "kpis", "--store", coordinator, "--from", "2026-10-26", "--to", "2026-11-22", "--by", "week", "--format", "csv"])
        for stage, one, sharded in [("ingest (one transaction per file)", pg_ingest, sh_ingest),
                                    ("week's KPIs by agent with FCR", pg_kpis, sh_kpis),
                                    ("all 4 weeks' KPIs by week, FCR", pg_weeks, sh_weeks)]:
            sharded_lines.append(f"| {n:,} | {stage} | {one['wall']:.2f} | {sharded['wall']:.2f} | {sharded['rss']:.0f} | "
                                 f"{sharded['wall'] / one['wall']:.2f} |")
            print(sharded_lines[-1], flush=True)
        disagreement = compare_kpis(kpis["out"], sh_kpis["out"])
        if disagreement:
            sys.exit(f"the sharded store disagrees on the KPIs of {BACKFILL_WEEK} at N = {n}: {disagreement}")


def peers_python(no_peers):
    if no_peers:
        return None
    venv = os.path.join(HERE, ".venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "duckdb", "pandas"], check=True)
    return python


def write_tonight(binary, work, n, backfill_csv):
    """Tonight's export: N/28 new contacts (one day of four weeks) plus 5% of that re-delivered from the
    backfill with corrected after-call work."""
    new_rows = max(1, n // 28)
    tonight = os.path.join(work, f"tonight-{n}.csv")
    subprocess.run([binary, "generate", "--rows", str(new_rows), "--seed", "2", "--start", NIGHT_WEEK_START, "--weeks", "1",
                    "--id-prefix", "N", "--out", tonight], check=True, stderr=subprocess.DEVNULL)
    redeliver = max(1, new_rows // 20)
    with open(backfill_csv, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        acw = header.index("acw_s")
        tail = []
        for row in reader:
            tail.append(row)
            if len(tail) > redeliver:
                tail.pop(0)
    with open(tonight, "a", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        for row in tail:
            if row[acw]:
                row[acw] = f"{float(row[acw]) + 1.0:.1f}"
            writer.writerow(row)
    return tonight, new_rows + redeliver


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,5000000")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="N = 2,000 and no release build unless --binary")
    parser.add_argument("--binary", help="a contactqa binary to use instead of building the release one")
    parser.add_argument("--work", default=os.path.join(HERE, ".work"))
    parser.add_argument("--out", default=os.path.join(HERE, "results", "latest.md"))
    parser.add_argument("--backends-only", action="store_true",
                        help="with --postgres: only the backends' table (ingest and KPIs on each), none of the other stages")
    parser.add_argument("--shards", default=os.environ.get("CONTACTQA_BENCH_SHARDS"),
                        help="with --postgres: shard servers' URLs, comma-separated, for a sharded store beside the single server")
    parser.add_argument("--postgres", default=os.environ.get("CONTACTQA_BENCH_POSTGRES_URL"),
                        help="a PostgreSQL server URL: also run ingest and KPIs there, side by side with SQLite")
    args = parser.parse_args()
    sizes = [2000] if args.smoke else [int(s) for s in args.sizes.split(",")]

    binary = args.binary
    if not binary:
        subprocess.run(["swift", "build", "-c", "release", "--product", "contactqa"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        binary = os.path.join(ROOT, ".build", "release", "contactqa")
    peer = peers_python(args.no_peers)
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)

    lines = ["| N | stage | ContactQA wall s | CPU s | peak MiB | rows/s | MB/s | DuckDB wall s | peak MiB | pandas wall s | peak MiB | CQA/DuckDB | CQA/pandas |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    backend_lines = ["| N | stage | SQLite wall s | SQLite peak MiB | PostgreSQL wall s | client peak MiB | PG/SQLite | SQLite rows/s | PostgreSQL rows/s |",
                     "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    sharded_lines = []
    for n in sizes:
        csv_path = os.path.join(args.work, f"contacts-{n}.csv")
        subprocess.run([binary, "generate", "--rows", str(n), "--seed", "1", "--weeks", "4", "--out", csv_path], check=True, stderr=subprocess.DEVNULL)
        mb = os.path.getsize(csv_path) / 1e6
        store = os.path.join(args.work, f"store-{n}.sqlite")
        plan = os.path.join(args.work, "plan.yaml")
        with open(plan, "w") as f:
            f.write("name: bench\nframe: {exclude: {unacknowledged_agents: false}}\nstrata: [channel]\n"
                    "size: {margin_of_error: 0.03, confidence: 0.95, proportion: 0.5}\nper_agent: {min: 2, max: 20}\nseed: 1\n")
        pipeline = os.path.join(args.work, f"pipeline-{n}.yaml")
        with open(pipeline, "w") as f:
            f.write(f"name: bench\ntimezone: UTC\nstore: run-{n}.sqlite\ninputs:\n  - {{source: canonical, path: contacts-{n}.csv}}\n"
                    f"privacy: {{key_file: {KEY}}}\nreport: {{out: \"reports-{n}/{{week}}\"}}\n")
        rows = {}

        def row(stage, m, duck=None, pand=None, per_rows=n, per_mb=mb):
            cells = [f"{n:,}", stage, f"{m['wall']:.2f}", f"{m['cpu']:.2f}", f"{m['rss']:.0f}",
                     f"{per_rows / m['wall']:,.0f}" if per_rows else "", f"{per_mb / m['wall']:.1f}" if per_mb else ""]
            cells += [f"{duck['wall']:.2f}", f"{duck['rss']:.0f}"] if duck else ["", ""]
            cells += [f"{pand['wall']:.2f}", f"{pand['rss']:.0f}"] if pand else ["", ""]
            cells += [f"{m['wall'] / duck['wall']:.2f}" if duck else "", f"{m['wall'] / pand['wall']:.2f}" if pand else ""]
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)

        if not (args.backends_only and args.postgres):
            row("read the file (cat)", run_measured(f"cat {csv_path} > /dev/null", shell=True))
            row("parse + map + validate + pseudonymise", run_measured([binary, "parse", "--key-file", KEY, csv_path]))
        ingest = run_measured([binary, "ingest", "--store", store, "--timezone", "UTC", "--source", "canonical", "--key-file", KEY, "--quiet", csv_path])
        duck = pand = None
        if peer:
            duck = run_measured([peer, os.path.join(HERE, "peers", "duckdb_peer.py"), "backfill", csv_path, os.path.join(args.work, f"duck-{n}.db"), BACKFILL_WEEK_START], cwd=os.path.join(HERE, "peers"))
            pand = run_measured([peer, os.path.join(HERE, "peers", "pandas_peer.py"), BACKFILL_WEEK_START, csv_path], cwd=os.path.join(HERE, "peers"))
        kpis = run_measured([binary, "kpis", "--store", store, "--week", BACKFILL_WEEK, "--by", "agent", "--format", "csv"])
        if args.backends_only and args.postgres:
            compare_backends(args, binary, n, csv_path, store, ingest, kpis, backend_lines, sharded_lines)
            continue
        backfill = {"wall": ingest["wall"] + kpis["wall"], "cpu": ingest["cpu"] + kpis["cpu"], "rss": max(ingest["rss"], kpis["rss"])}
        row("ingest into the store (backfill)", ingest)
        row("week's KPIs by agent with FCR", kpis, per_rows=None, per_mb=None)
        row("backfill: load + week's KPIs (peers: same work)", backfill, duck, pand)
        row("all 4 weeks' KPIs by week, FCR", run_measured([binary, "kpis", "--store", store, "--from", "2026-10-26", "--to", "2026-11-22", "--by", "week", "--format", "csv"]), per_rows=None, per_mb=None)
        row("stratified sample of a week", run_measured([binary, "sample", "--store", store, "--plan", plan, "--week", BACKFILL_WEEK, "--out", os.path.join(args.work, f"sample-{n}")]), per_rows=None, per_mb=None)
        if args.postgres:
            compare_backends(args, binary, n, csv_path, store, ingest, kpis, backend_lines, sharded_lines)
        row("full `run` of a pipeline (fresh store)", run_measured([binary, "run", pipeline, "--week", BACKFILL_WEEK, "--as-of", "2026-12-01", "--quiet"], cwd=args.work))
        # The same store the next night, nothing new to load: the week's draft (its FCR window still
        # open on this as-of date) written again, into a folder of its own. Compare with the KPIs row.
        again = os.path.join(args.work, f"pipeline-again-{n}.yaml")
        with open(again, "w") as f:
            f.write(open(pipeline).read().replace(f"reports-{n}/", f"reports-again-{n}/"))
        row("a night's `run` with nothing new (the week's draft again)", run_measured([binary, "run", again, "--week", BACKFILL_WEEK, "--as-of", "2026-11-25", "--quiet"], cwd=args.work), per_rows=None, per_mb=None)

        tonight, tonight_rows = write_tonight(binary, args.work, n, csv_path)
        night_store = os.path.join(args.work, f"night-{n}.sqlite")
        shutil.copy(store, night_store)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(store + suffix):
                shutil.copy(store + suffix, night_store + suffix)
        m1 = run_measured([binary, "ingest", "--store", night_store, "--source", "canonical", "--key-file", KEY, "--quiet", tonight])
        m2 = run_measured([binary, "kpis", "--store", night_store, "--week", NIGHT_WEEK, "--by", "agent", "--format", "csv"])
        m3 = run_measured([binary, "sample", "--store", night_store, "--plan", plan, "--week", NIGHT_WEEK, "--out", os.path.join(args.work, f"night-sample-{n}")])
        nightly = {"wall": m1["wall"] + m2["wall"] + m3["wall"], "cpu": m1["cpu"] + m2["cpu"] + m3["cpu"], "rss": max(m1["rss"], m2["rss"], m3["rss"])}
        duck = pand = None
        if peer:
            night_duck = os.path.join(args.work, f"duck-night-{n}.db")
            shutil.copy(os.path.join(args.work, f"duck-{n}.db"), night_duck)
            duck = run_measured([peer, os.path.join(HERE, "peers", "duckdb_peer.py"), "nightly", tonight, night_duck, NIGHT_WEEK_START], cwd=os.path.join(HERE, "peers"))
            pand = run_measured([peer, os.path.join(HERE, "peers", "pandas_peer.py"), NIGHT_WEEK_START, csv_path, tonight], cwd=os.path.join(HERE, "peers"))
        row(f"nightly: +{tonight_rows:,} rows, week's KPIs, sample (peers: load + KPIs)", nightly, duck, pand,
            per_rows=tonight_rows, per_mb=os.path.getsize(tonight) / 1e6)

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    header = [f"# ContactQA benchmark ({'smoke' if args.smoke else 'full'})", "",
              f"Machine: {os.cpu_count()} cores; binary: {binary}; peers: {'none' if not peer else 'DuckDB (2 threads) and pandas, installed in Benchmarks/.venv'}.", ""]
    with open(args.out, "w") as f:
        f.write("\n".join(header + lines) + "\n")
        if args.postgres:
            f.write("\n## Backends side by side (the same files and queries; the week's KPIs by agent compared: counts and quantiles equal, means within 1e-9)\n\n" + "\n".join(backend_lines) + "\n")
        if sharded_lines:
            f.write("\n## One PostgreSQL server against a coordinator and shards on the same machine (overhead, not speed-up)\n\n"
                    "| N | stage | one server wall s | sharded wall s | client peak MiB | sharded/one |\n|---:|---|---:|---:|---:|---:|\n"
                    + "\n".join(sharded_lines) + "\n")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
