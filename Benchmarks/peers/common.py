"""What both peers compute, exactly as ContactQA's `kpis --by agent` does for one week (docs/kpis.md):
offered, handled, abandoned, short abandons (< 5 s), abandonment rate, service level (20 s; email 86,400 s),
ASA, AHT (talk + hold + acw over handled legs), and FCR with a 7-day repeat window over the whole history."""
COLUMNS = {
    "interaction_id": "VARCHAR", "channel": "VARCHAR", "direction": "VARCHAR", "queue": "VARCHAR", "team": "VARCHAR",
    "agent_id": "VARCHAR", "customer_id": "VARCHAR", "contact_reason": "VARCHAR", "arrived_at": "TIMESTAMPTZ",
    "wait_s": "DOUBLE", "abandoned": "BOOLEAN", "talk_s": "DOUBLE", "hold_s": "DOUBLE", "acw_s": "DOUBLE",
    "csat": "INTEGER", "csat_scale": "INTEGER", "nps": "INTEGER", "monitoring_notice": "BOOLEAN",
}
SHORT_ABANDON_S = 5
FCR_WINDOW_DAYS = 7
