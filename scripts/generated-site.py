#!/usr/bin/env python3
"""Builds a generated contact centre of 14 weeks and runs its nightly pipeline, to read the weekly
report and the feedback packs as a site of real size would get them.

    scripts/generated-site.py FOLDER [--rows 30000] [--critical 25] [--contactqa .build/debug/contactqa]

In FOLDER: 14 weeks of synthetic contacts up to 2026-W47 and the week after (its repeat contacts) (`contactqa generate`, about 200 agents in
20 teams), a roster naming every agent, the demo's scorecards and sampling plan, and a pipeline. The
pipeline runs on Monday 23 November (the week's sample is drawn), the QA team then evaluates every
sampled leg (`inbox/qa/evaluations.csv`, deterministic from the seed) with exactly --critical critical
fails, and the pipeline runs again on 1 December (the final report). The report is in
FOLDER/reports/2026-W47/. Everything is seeded: the same arguments give the same files.
"""
import argparse
import csv
import pathlib
import random
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIRST = ["Asha", "Ben", "Chloé", "Dev", "Ewa", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luca", "Mei", "Noor",
         "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tariq"]
LAST = ["Patel", "Okafor", "Martin", "Kowalski", "Nguyen", "Haddad", "Smith", "Tanaka", "García", "Berg"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--rows", type=int, default=30000)
    parser.add_argument("--critical", type=int, default=25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--contactqa", default=str(ROOT / ".build/debug/contactqa"))
    args = parser.parse_args()
    site = pathlib.Path(args.folder).resolve()
    if site.exists():
        shutil.rmtree(site)
    (site / "inbox/contacts").mkdir(parents=True)
    (site / "inbox/qa").mkdir(parents=True)
    contacts = site / "inbox/contacts/contacts.csv"
    subprocess.run([args.contactqa, "generate", "--rows", str(args.rows), "--weeks", "15", "--start", "2026-08-17",
                    "--seed", str(args.seed), "--out", str(contacts)], check=True, stdout=subprocess.DEVNULL)
    teams = {}
    with contacts.open(newline="") as f:
        for row in csv.DictReader(f):
            if row["agent_id"]:
                teams.setdefault(row["agent_id"], row["team"])
    with (site / "roster.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["agent_id", "display_name", "team", "start_date", "monitoring_acknowledged_on"])
        for i, agent in enumerate(sorted(teams, key=lambda a: int(a[1:]))):
            w.writerow([agent, f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}", teams[agent], "2024-01-08", "2024-01-08"])
    shutil.copytree(ROOT / "pipelines/scorecards", site / "scorecards")
    shutil.copytree(ROOT / "pipelines/plans", site / "plans")
    (site / "key").write_text(bytes(range(32)).hex() + "\n")
    (site / "pipeline.yaml").write_text(f"""name: generated-site
timezone: Europe/London
store: site.sqlite
inputs:
  - {{source: canonical, path: "inbox/contacts/*.csv", complete: true}}
  - {{source: roster, path: roster.csv}}
  - {{source: scorecard, path: "scorecards/*.yaml"}}
  - {{source: evaluations, path: "inbox/qa/*.csv"}}
privacy: {{key_file: key, retention_days: 400, agent_names: true}}
kpis: {{short_abandon_s: 5, service_level_s: {{voice: 20, chat: 20, email: 86400}}, fcr: {{window_days: 7, match: customer}}}}
targets: {{aht_s: 360, fcr: 0.75, csat: 0.85, service_level: 0.80}}
sampling: {{plan: plans/weekly-routine.yaml}}
report: {{out: "reports/{{week}}"}}
""")
    run = [args.contactqa, "run", str(site / "pipeline.yaml"), "--week", "2026-W47", "--quiet"]
    subprocess.run(run + ["--as-of", "2026-11-23"], check=True)
    evaluate(site, args.critical, random.Random(args.seed))
    subprocess.run(run + ["--as-of", "2026-12-01"], check=True)
    print(f"{site}/reports/2026-W47/report.html", file=sys.stderr)


def evaluate(site, critical, rng):
    """Every sampled leg evaluated once by one of four evaluators; `critical` of them fail a critical
    criterion (identity check or compliance), the rest rated around their targets."""
    sample = list(csv.DictReader((site / "reports/2026-W47/sample/sample.csv").open(newline="")))
    fails = set(rng.sample(range(len(sample)), min(critical, len(sample))))
    drifting = "Q4"
    with (site / "inbox/qa/evaluations.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["evaluation_id", "interaction_id", "leg", "evaluator_id", "evaluated_at", "scorecard_id",
                    "scorecard_version", "criterion_id", "rating", "comment"])
        for i, unit in enumerate(sample):
            evaluator = f"Q{i % 4 + 1}"
            card = "voice-standard" if unit["channel"] == "voice" else "written-standard"
            criteria = (["greeting", "id_check", "accuracy", "empathy", "wrap_up", "compliance"] if card == "voice-standard"
                        else ["greeting", "id_check", "accuracy", "clarity", "empathy", "next_steps", "compliance"])
            failed = rng.choice(["id_check", "compliance"]) if i in fails else None
            shift = -1 if evaluator == drifting else 0
            for criterion in criteria:
                comment = ""
                if criterion == failed:
                    rating = "no"
                    comment = "Disclosed account details before verifying identity" if criterion == "id_check" else "Required disclosure not read"
                elif criterion in ("id_check", "compliance"):
                    rating = "yes"
                elif criterion in ("wrap_up", "next_steps") or (criterion == "greeting" and card == "written-standard"):
                    rating = "yes" if rng.random() < 0.85 else "no"
                elif criterion == "greeting":
                    rating = str(max(0, min(4, rng.choice([2, 3, 3, 4]) + shift)))
                else:
                    rating = str(max(1, min(5, rng.choice([3, 4, 4, 5]) + shift)))
                w.writerow([f"G{i + 1}", unit["interaction_id"], unit["leg"], evaluator, "2026-11-26", card, "1", criterion, rating, comment])


if __name__ == "__main__":
    main()
