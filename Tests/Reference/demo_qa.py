#!/usr/bin/env python3
"""The demo week's QA score estimate (scripts/demo.sh: two nights, 2026-W47), worked out with no
ContactQA code from the files a QA analyst has: the scorecards (pipelines/scorecards/*.yaml), the QA
team's evaluations of the sample (fixtures/qa-inbox/*.csv) and the sample the first night wrote
(.contactqa/reports/2026-W47/sample/: sample.csv for each unit's stratum and agent, manifest.json for
each cell's frame count N_h).

- Score per evaluation: 100 × Σ w·(r − min)/(max − min) / Σ w over the rated (non-N/A)
  criteria; yes/no as 1/0 on a 0–1 scale; 0 when a critical criterion is failed.
- Hájek estimate over the sampled evaluations with weights N_h/m_h (m_h = evaluated units of cell h,
  the cell being stratum | agent under the plan's per_agent), and its Taylor-linearised variance for a
  stratified design with finite-population correction (Särndal, Swensson & Wretman 1992, §5.6, §5.10):
  z_i = w_i (y_i − ŷ) / Σ w, V = Σ_h (1 − m_h/N_h) · m_h/(m_h − 1) · Σ_i (z_hi − z̄_h)²; cells with
  m_h = 1 collapsed in pairs in cell order (a trailing odd one joins the last pair) and added without
  the finite-population factor (collapsed strata); degrees of freedom Σ (m − 1) over the variance
  strata; 95% interval ŷ ± t(0.975; df) · √V.

Run once (Python 3.11.7, PyYAML 6.0.3, scipy 1.17.1) after scripts/demo.sh; its output is recorded in
CommandLineTests.swift (`theDemosSecondNightEstimatesQAFromTheSample`).
"""
import csv
import json
import math
import pathlib

import yaml
from scipy.stats import t as student_t

ROOT = pathlib.Path(__file__).resolve().parents[2]
WEEK = ROOT / ".contactqa" / "reports" / "2026-W47"

cards = {}
for path in (ROOT / "pipelines" / "scorecards").glob("*.yaml"):
    card = yaml.safe_load(path.read_text())
    criteria = {}
    for section in card["sections"]:
        for c in section["criteria"]:
            scale = c["scale"]
            lo, hi = (0, 1) if scale == "yes_no" else (scale["min"], scale["max"])
            criteria[c["id"]] = dict(min=lo, max=hi, weight=c.get("weight", 1), critical=c.get("critical", False), yes_no=scale == "yes_no")
    cards[(card["id"], card["version"])] = criteria

evaluations = {}
for path in sorted((ROOT / "fixtures" / "qa-inbox").glob("*.csv")):
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            e = evaluations.setdefault(row["evaluation_id"], dict(unit=(row["interaction_id"], int(row["leg"])),
                                                                card=(row["scorecard_id"], int(row["scorecard_version"])), answers={}))
            e["answers"][row["criterion_id"]] = row["rating"]


def score(e):
    criteria = cards[e["card"]]
    total = weights = 0.0
    for cid, raw in e["answers"].items():
        c = criteria[cid]
        if raw in ("NA", ""):
            continue
        r = {"yes": 1, "no": 0}[raw] if c["yes_no"] else float(raw)
        if c["critical"] and r < c["max"]:
            return 0.0
        total += c["weight"] * (r - c["min"]) / (c["max"] - c["min"])
        weights += c["weight"]
    return 100 * total / weights


cell_of = {}
with open(WEEK / "sample" / "sample.csv", newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        cell_of[(row["interaction_id"], int(row["leg"]))] = f"{row['stratum']} | {row['agent']}"
population = {c["cell"]: c["population"] for c in json.loads((WEEK / "sample" / "manifest.json").read_text())["cells"]}

sampled = [(cell_of[e["unit"]], score(e)) for e in evaluations.values() if e["unit"] in cell_of]
m = {}
for cell, _ in sampled:
    m[cell] = m.get(cell, 0) + 1
w = [population[cell] / m[cell] for cell, _ in sampled]
estimate = sum(wi * y for wi, (_, y) in zip(w, sampled)) / sum(w)
z = {}
for wi, (cell, y) in zip(w, sampled):
    z.setdefault(cell, []).append(wi * (y - estimate) / sum(w))
variance = 0.0
df = 0
singletons = []
for cell in sorted(z):
    zs, nh = z[cell], population[cell]
    mh = len(zs)
    if mh < 2:
        singletons.append(zs[0])
        continue
    mean = sum(zs) / mh
    variance += (1 - mh / nh) * mh / (mh - 1) * sum((zi - mean) ** 2 for zi in zs)
    df += mh - 1
# Cells with one evaluated leg are collapsed in pairs in cell order (a trailing odd one joins the last
# pair), without the finite-population factor (collapsed strata, Wolter 2007 §2.5).
i = 0
while len(singletons) - i >= 2:
    size = 3 if len(singletons) - i == 3 else 2
    group = singletons[i:i + size]
    mean = sum(group) / size
    variance += size / (size - 1) * sum((zi - mean) ** 2 for zi in group)
    df += size - 1
    i += size
se = math.sqrt(variance)
t = student_t.ppf(0.975, df)
print(f"{len(sampled)} sampled evaluations; scores {sorted(round(y, 4) for _, y in sampled)}")
print(f"QA score {estimate:.10f}, SE {se:.10f}, df {df}, t {t:.12f}, 95% CI {estimate - t * se:.10f} to {estimate + t * se:.10f}")
