"""pandas peer: read the canonical CSV(s) — pandas keeps no store, so a nightly run reads the history again —
then the week's KPIs by agent with FCR.  usage: pandas_peer.py WEEK_START CSV [CSV ...]"""
import sys
import numpy as np
import pandas as pd
from common import SHORT_ABANDON_S, FCR_WINDOW_DAYS

week_start = pd.Timestamp(sys.argv[1], tz="UTC")
frames = [pd.read_csv(p, parse_dates=["arrived_at"], dtype={"agent_id": "string", "team": "string", "customer_id": "string"})
          for p in sys.argv[2:]]
df = pd.concat(frames).drop_duplicates("interaction_id", keep="last")
df = df[df["direction"] == "inbound"].sort_values(["customer_id", "arrived_at"])
df["next_at"] = df.groupby("customer_id")["arrived_at"].shift(-1)
week = df[(df["arrived_at"] >= week_start) & (df["arrived_at"] < week_start + pd.Timedelta(days=7))].copy()
handled = ~week["abandoned"].astype(bool)
threshold = np.where(week["channel"].isin(["email", "letter", "social"]), 86400, 20)
week["handled"] = handled
week["short"] = week["abandoned"].astype(bool) & (week["wait_s"] < SHORT_ABANDON_S)
week["sl_met"] = handled & (week["wait_s"] <= threshold)
week["handle"] = week[["talk_s", "hold_s", "acw_s"]].fillna(0).sum(axis=1).where(handled)
week["wait_handled"] = week["wait_s"].where(handled)
judged = handled & week["customer_id"].notna()
week["fcr_judged"] = judged
week["fcr_resolved"] = judged & (week["next_at"].isna() | (week["next_at"] > week["arrived_at"] + pd.Timedelta(days=FCR_WINDOW_DAYS)))
out = week.groupby("agent_id", dropna=False).agg(
    offered=("interaction_id", "size"), handled=("handled", "sum"), short=("short", "sum"), sl_met=("sl_met", "sum"),
    asa=("wait_handled", "mean"), aht=("handle", "mean"), fcr_judged=("fcr_judged", "sum"), fcr_resolved=("fcr_resolved", "sum"))
print(f"groups {len(out)} offered {int(out['offered'].sum())}")
