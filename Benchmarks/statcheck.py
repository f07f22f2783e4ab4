#!/usr/bin/env python3
"""Statistical self-check: stable weeks through the real pipeline, and how often it raises a false alarm.

    python3 Benchmarks/statcheck.py                  # 40 replicates (a few minutes); prints a Markdown table
    python3 Benchmarks/statcheck.py --replicates 5   # a quick look

Each replicate generates fifteen weeks of one stationary contact centre (`contactqa generate`: the same
process every week, every agent alike; seed = replicate), loads them into a fresh store and runs the
weekly report of week 14 the way the nightly job does (`contactqa run --week`, as of a date past its
FCR window, so week 15 supplies its repeat contacts), then `contactqa trends` for the same week. On such
data every flag, change mark, trend call and chart signal is a false alarm. It counts:

- colleagues flagged outside their team's 99.8% funnel, per comparison made (at least 5 contacts);
- headline KPIs marked as a significant change from last week, per KPI compared;
- significant Mann–Kendall trend calls, per series tested;
- control-chart signals in the current week, per chart;
- how often the report's 95% intervals for FCR (clustered by customer) and ASA (by day) cover the
  process's true value, taken as the mean of the estimates over all replicates.

Reads only the command's outputs (report.md, report.json, trends JSON); needs the built binary.
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = os.path.join(ROOT, "fixtures", "keys", "demo.key")
START, WEEK, AS_OF = "2026-06-01", "2026-W36", "2026-09-23"   # 15 weeks from W23; W36 is week 14


def binary():
    for path in (os.path.join(ROOT, ".build", "release", "contactqa"), os.path.join(ROOT, ".build", "debug", "contactqa")):
        if os.path.exists(path):
            return path
    subprocess.run(["swift", "build", "--product", "contactqa"], cwd=ROOT, check=True)
    return os.path.join(ROOT, ".build", "debug", "contactqa")


def replicate(exe, seed, rows, work):
    folder = os.path.join(work, f"r{seed}")
    os.makedirs(folder)
    data = os.path.join(folder, "contacts.csv")
    subprocess.run([exe, "generate", "--rows", str(rows), "--seed", str(seed), "--start", START, "--weeks", "15", "--out", data],
                   check=True, capture_output=True)
    shutil.copy(KEY, os.path.join(folder, "site.key"))
    with open(os.path.join(folder, "site.yaml"), "w") as f:
        f.write("name: stable\ntimezone: UTC\nstore: store.sqlite\ninputs:\n  - {source: canonical, path: contacts.csv, complete: true}\n"
                "privacy: {key_file: site.key}\nkpis: {fcr: {window_days: 7, match: customer}}\n"
                "report: {out: \"reports/{week}\", formats: [md, json], feedback_packs: false}\n")
    subprocess.run([exe, "run", os.path.join(folder, "site.yaml"), "--week", WEEK, "--as-of", AS_OF, "--quiet"], check=True, capture_output=True)
    report = open(os.path.join(folder, "reports", WEEK, "report.md"), encoding="utf-8").read()
    trends = json.loads(subprocess.run([exe, "trends", "--store", os.path.join(folder, "store.sqlite"), "--week", WEEK, "--as-of", AS_OF,
                                        "--format", "json"], check=True, capture_output=True, text=True).stdout)
    out = {}
    rows_ = [line for line in report.splitlines() if line.startswith("| ") and not line.startswith("| KPI") and "---" not in line]
    headline = rows_[:7]
    # Columns: KPI | this week | of | 95% CI | last week | change | target | met
    compared = [r for r in headline if r.split("|")[5].strip() not in ("–", "")]
    out["changes"] = sum("significant" in r for r in compared)
    out["compared"] = len(compared)
    comparisons = [f for f in trends["funnels"] if f["denominator"] >= 5]
    out["flags"] = sum(f["position"] == "flagged" for f in comparisons)
    out["comparisons"] = len(comparisons)
    tested = [s for s in trends["series"] if s["trend"] is not None]
    out["trend_calls"] = sum(s["trend"]["direction"] != "none" for s in tested)
    out["trend_tests"] = len(tested)
    charts = [s for s in trends["series"] if s["chart"]]
    out["chart_signals"] = sum(any(WEEK in sig["weeks"] for sig in s["signals"]) for s in charts)
    out["charts"] = len(charts)
    for label, key in (("First contact resolution", "fcr"), ("Average speed of answer", "asa")):
        line = next(r for r in headline if r.startswith(f"| {label} |"))
        cells = [c.strip() for c in line.split("|")]
        def number(text):  # "63.0%", "878 s" or "2.4 h" (an hour or more)
            v = float(re.sub(r"[^0-9.]", "", text))
            return v * 3600 if text.strip().endswith("h") else v
        value = number(cells[2])
        lo, hi = (number(x) for x in cells[4].split("–"))
        out[key] = (value, lo, hi)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--rows", type=int, default=15000, help="contacts over the 15 weeks (1,000 a week by default)")
    args = parser.parse_args()
    exe = binary()
    work = tempfile.mkdtemp(prefix="contactqa-statcheck-")
    try:
        results = [replicate(exe, seed, args.rows, work) for seed in range(1, args.replicates + 1)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    def rate(hits, total):
        h, t = sum(r[hits] for r in results), sum(r[total] for r in results)
        return f"{h} of {t} ({100 * h / t:.2f}%)" if t else "–"
    print(f"{args.replicates} stable replicates, {args.rows} contacts over 15 weeks each; week 14 reported\n")
    print("| check | nominal | observed |")
    print("|---|---:|---:|")
    print(f"| colleagues flagged (99.8% funnel, n ≥ 5) | ≤ 0.2% | {rate('flags', 'comparisons')} |")
    print(f"| headline KPIs marked as a significant change | 5% | {rate('changes', 'compared')} |")
    print(f"| significant trend calls (Mann–Kendall, α = 0.05) | 5% | {rate('trend_calls', 'trend_tests')} |")
    print(f"| charts signalling in the current week (WE rules 1–4) | ≈ 1.1% | {rate('chart_signals', 'charts')} |")
    for key, label in (("fcr", "FCR 95% interval (customer clusters)"), ("asa", "ASA 95% interval (days)")):
        truth = sum(r[key][0] for r in results) / len(results)
        covered = sum(r[key][1] <= truth <= r[key][2] for r in results)
        print(f"| {label} covers the mean of the estimates ({truth:.1f}) | 95% | {covered} of {len(results)} ({100 * covered / len(results):.1f}%) |")


if __name__ == "__main__":
    sys.exit(main())
