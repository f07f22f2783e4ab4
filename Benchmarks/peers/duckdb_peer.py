"""DuckDB peer: load the canonical CSV into a database file, then the week's KPIs by agent with FCR (LEAD).
usage: duckdb_peer.py backfill CSV DB WEEK_START | nightly CSV DB WEEK_START (DB already holds earlier weeks)"""
import sys
import duckdb
from common import COLUMNS, SHORT_ABANDON_S, FCR_WINDOW_DAYS

mode, path, db_path, week_start = sys.argv[1:5]
con = duckdb.connect(db_path)
con.execute("SET threads TO 2")
cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items()) + "}"
source = f"read_csv('{path}', header = true, columns = {cols})"
if mode == "backfill":
    con.execute(f"CREATE TABLE contacts AS SELECT * FROM {source}")
    con.execute("ALTER TABLE contacts ADD PRIMARY KEY (interaction_id)")
else:
    con.execute(f"INSERT OR REPLACE INTO contacts SELECT * FROM {source}")
rows = con.execute(f"""
WITH inbound AS (
    SELECT *, LEAD(arrived_at) OVER (PARTITION BY customer_id ORDER BY arrived_at) AS next_at
    FROM contacts WHERE direction = 'inbound'),
week AS (
    SELECT * FROM inbound
    WHERE arrived_at >= TIMESTAMPTZ '{week_start} 00:00:00+00' AND arrived_at < TIMESTAMPTZ '{week_start} 00:00:00+00' + INTERVAL 7 DAY)
SELECT agent_id,
    count(*) AS offered,
    count(*) FILTER (WHERE NOT abandoned) AS handled,
    count(*) FILTER (WHERE abandoned) AS abandoned,
    count(*) FILTER (WHERE abandoned AND wait_s < {SHORT_ABANDON_S}) AS short_abandoned,
    count(*) FILTER (WHERE NOT abandoned AND wait_s <= CASE WHEN channel IN ('email', 'letter', 'social') THEN 86400 ELSE 20 END) AS sl_met,
    avg(wait_s) FILTER (WHERE NOT abandoned) AS asa,
    avg(coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(acw_s, 0)) FILTER (WHERE NOT abandoned) AS aht,
    count(*) FILTER (WHERE NOT abandoned AND customer_id IS NOT NULL) AS fcr_judged,
    count(*) FILTER (WHERE NOT abandoned AND customer_id IS NOT NULL
                     AND (next_at IS NULL OR next_at > arrived_at + INTERVAL {FCR_WINDOW_DAYS} DAY)) AS fcr_resolved
FROM week GROUP BY agent_id ORDER BY agent_id
""").fetchall()
print(f"groups {len(rows)} offered {sum(r[1] for r in rows)}")
