#!/usr/bin/env python3
"""The demo week's headline KPIs (pipelines/demo.yaml, 2026-W47, Europe/London), worked out from the
raw fixture files with nothing of ContactQA's code: each export is read with Python's csv/json
modules and mapped by the rules written in docs/sources.md and docs/mapping.md, the KPIs follow
../shared/DESIGN.md §3 with the demo's parameters (short abandon 5 s; service level 20 s, email 24 h;
FCR: no repeat by the same customer within 7 days, every source).

It was run once (Python 3.11.7, standard library only) and its output is recorded in
Tests/ContactQATests/CLI/CommandLineTests.swift (`demoHeadlineMatchesTheIndependentReference`).
Run: python3 Tests/Reference/demo_headline.py
"""
import csv
import json
import math
import pathlib
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "fixtures"
WEEK_FROM = datetime(2026, 11, 16, tzinfo=ZoneInfo("Europe/London"))
WEEK_TO = WEEK_FROM + timedelta(days=7)
SHORT_ABANDON_S = 5
FCR_WINDOW = timedelta(days=7)
LONG_CHANNELS = {"email", "letter", "social"}  # 86,400 s; every other channel 20 s


def utc(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def phone(raw, country=None):
    raw = raw.strip()
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if country:
        return "+" + country + (digits[1:] if digits.startswith("0") else digits)
    return "+" + digits


def customer(raw, country=None):
    """Auto-detected kind: email (lower-cased) when it holds @, a phone when only digits and phone punctuation."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if "@" in raw:
        return "email:" + raw.lower()
    if re.fullmatch(r"[0-9+\-(). ]+", raw) and len(re.sub(r"\D", "", raw)) >= 6:
        return "phone:" + phone(raw, country)
    return "other:" + raw


def contact(source, cid, **fields):
    base = dict(source=source, id=cid, channel="voice", direction="inbound", arrived=None, wait=None,
                abandoned=False, transferred=False, customer=None, legs=[], csat=None, csat_max=None, nps=None)
    base.update(fields)
    return base


def leg(talk=None, hold=None, acw=None):
    return dict(talk=talk, hold=hold, acw=acw)


def canonical():
    contacts = {}
    for name in ("contacts_2026-W47.csv", "fcr_repeats.csv"):
        with open(FIXTURES / "canonical" / name, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                number = lambda k: float(row[k]) if row.get(k) else None
                c = contacts.get(row["interaction_id"])
                if c is None:  # the contact's fields come from its first row (leg 1)
                    c = contacts[row["interaction_id"]] = contact(
                        "canonical", row["interaction_id"], channel=row["channel"], direction=row.get("direction") or "inbound",
                        arrived=utc(row["arrived_at"]), wait=number("wait_s"), abandoned=row["abandoned"] == "true",
                        customer=customer(row["customer_id"]), csat=number("csat"), csat_max=number("csat_scale"), nps=number("nps"))
                if row.get("agent_id"):
                    c["legs"].append(leg(number("talk_s"), number("hold_s"), number("acw_s")))
    # The post-contact survey (fixtures/surveys): answers attach to canonical contacts; the latest
    # response (by Sent) of a contact wins; C99 names no loaded contact.
    with open(FIXTURES / "surveys" / "post_contact_survey_2026-11-30.csv", newline="", encoding="utf-8") as f:
        for row in sorted(csv.DictReader(f), key=lambda r: r["Sent"]):
            c = contacts.get(row["Contact"])
            if c is None:
                continue
            if row["Satisfaction (1-5)"]:
                c["csat"], c["csat_max"] = float(row["Satisfaction (1-5)"]), 5.0
            if row["Likelihood to recommend (0-10)"]:
                c["nps"] = float(row["Likelihood to recommend (0-10)"])
    return list(contacts.values())


def cloud_callcenter():
    contacts = {}
    zone = ZoneInfo("America/New_York")
    hms = lambda t: sum(int(p) * m for p, m in zip(t.split(":"), (3600, 60, 1)))
    with open(FIXTURES / "cloud-callcenter" / "call_log_2026-11-16.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):  # a later row of the same call replaces it
            arrived = datetime.strptime(row["TIMESTAMP"], "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=zone)
            abandoned = row["ABANDONED"] == "Yes"
            contacts[row["CALL ID"]] = contact(
                "cloud-callcenter", row["CALL ID"], direction=row["CALL TYPE"].lower(), arrived=arrived.astimezone(timezone.utc),
                wait=hms(row["QUEUE WAIT TIME"]), abandoned=abandoned, customer=customer(row["ANI"], "1"),
                legs=[] if not row["AGENT"] else [leg(hms(row["TALK TIME"]), hms(row["HOLD TIME"]), hms(row["AFTER CALL WORK TIME"]))])
    return list(contacts.values())


def eu_telephony():
    out = []
    zone = ZoneInfo("Europe/Paris")
    number = lambda t: float(t.replace(",", ".")) if t else None
    with open(FIXTURES / "eu-telephony" / "appels_2026-W47.csv", newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f, delimiter=";"):
            arrived = datetime.strptime(row["Début"], "%d/%m/%Y %H:%M:%S").replace(tzinfo=zone)
            out.append(contact(
                "eu-telephony", row["Id appel"], arrived=arrived.astimezone(timezone.utc), wait=number(row["Attente"]),
                abandoned=row["Statut"] == "Abandonné", customer=customer(row["Appelant"], "33"),
                legs=[] if not row["Agent"] else [leg(number(row["Conversation"]), number(row["Mise en attente"]), number(row["Post-traitement"]))]))
    return out


def amazon_connect():
    records = []
    for path in sorted((FIXTURES / "amazon-connect").glob("ctr-*")):
        text = path.read_text(encoding="utf-8")
        decoder, i = json.JSONDecoder(), 0
        while i < len(text):  # JSON Lines and Firehose-concatenated objects alike
            while i < len(text) and text[i].isspace():
                i += 1
            if i == len(text):
                break
            record, i = decoder.raw_decode(text, i)
            records.append(record)
    latest = {}  # the highest LastUpdateTimestamp of each ContactId wins
    for r in records:
        if r["InitiationMethod"] in ("MONITOR", "DISCONNECT"):
            continue
        known = latest.get(r["ContactId"])
        if known is None or utc(r["LastUpdateTimestamp"]) > utc(known["LastUpdateTimestamp"]):
            latest[r["ContactId"]] = r
    chains = {}
    for r in latest.values():
        root = r.get("InitialContactId") or r.get("PreviousContactId") or r["ContactId"]
        chains.setdefault(root, []).append(r)
    out = []
    for root, ctrs in chains.items():
        first = next((r for r in ctrs if r["ContactId"] == root), ctrs[0])
        queue, agent = first.get("Queue") or {}, first.get("Agent") or {}
        arrived = utc(queue.get("EnqueueTimestamp") or first["InitiationTimestamp"])
        if agent.get("ConnectedToAgentTimestamp") and queue.get("EnqueueTimestamp"):
            wait = (utc(agent["ConnectedToAgentTimestamp"]) - utc(queue["EnqueueTimestamp"])).total_seconds()
        else:
            wait = queue.get("Duration")
        legs = [leg(r["Agent"].get("AgentInteractionDuration"), r["Agent"].get("CustomerHoldDuration"),
                    r["Agent"].get("AfterContactWorkDuration"))
                for r in ctrs if r.get("Agent") and r["Agent"].get("ConnectedToAgentTimestamp")]
        attributes = first.get("Attributes") or {}
        direction = "outbound" if first["InitiationMethod"] in ("OUTBOUND", "EXTERNAL_OUTBOUND", "AGENT_REPLY") else "inbound"
        endpoint = (first.get("CustomerEndpoint") or {}).get("Address")
        out.append(contact(
            "amazon-connect", root, channel={"VOICE": "voice", "CHAT": "chat", "EMAIL": "email"}.get(first["Channel"], "other"),
            direction=direction, arrived=arrived, wait=wait, abandoned=not legs,
            transferred=len(legs) > 1 or any(r.get("NextContactId") for r in ctrs), customer=customer(endpoint), legs=legs,
            csat=float(attributes["csat"]) if "csat" in attributes else None,
            csat_max=float(attributes.get("csat_scale", 5)) if "csat" in attributes else None))
    return out


def genesys():
    latest = {}  # a later export of a conversation has later segment ends and wins
    data = json.loads((FIXTURES / "genesys" / "conversations-2026-11-19.json").read_text(encoding="utf-8"))
    for c in data["conversations"]:
        end = max(s.get("segmentEnd") or "" for p in c["participants"] for x in p["sessions"] for s in x["segments"])
        if c["conversationId"] not in latest or end > latest[c["conversationId"]][0]:
            latest[c["conversationId"]] = (end, c)
    out = []
    for _, c in latest.values():
        sessions = [(p, s) for p in c["participants"] for s in p["sessions"]]
        metrics = lambda s: {m["name"]: m["value"] for m in s.get("metrics", [])}
        acd = [s for p, s in sessions if p["purpose"] == "acd"]
        queued = next((g for s in acd for g in s["segments"] if g.get("queueId")), None)
        arrived = utc(queued["segmentStart"] if queued else c["conversationStart"])
        first_acd = metrics(acd[0]) if acd else {}
        wait = first_acd.get("tAcd", first_acd.get("tAbandon"))
        legs = []
        for p, s in sessions:
            if p["purpose"] == "agent" and any(g["segmentType"] == "interact" for g in s["segments"]):
                m = metrics(s)
                ms = lambda *names: next((m[n] / 1000 for n in names if n in m), None)
                legs.append(leg(ms("tTalkComplete", "tTalk"), ms("tHeldComplete", "tHeld"), ms("tAcw")))
        ani = next((s.get("ani") for p, s in sessions if p["purpose"] == "customer" and s.get("ani")), None)
        media = sessions[0][1]["mediaType"]
        out.append(contact(
            "genesys", c["conversationId"], channel={"voice": "voice", "callback": "voice", "chat": "chat", "email": "email",
                                                     "message": "messaging"}.get(media, "other"),
            direction=c["originatingDirection"], arrived=arrived, wait=wait / 1000 if wait is not None else None,
            abandoned=not legs, transferred=len(legs) > 1 or any(metrics(s).get("nTransferred", 0) > 0 for _, s in sessions),
            customer=customer(re.sub(r"^(tel:|sip:)", "", ani)) if ani else None, legs=legs))
    return out


def zendesk():
    latest = {}  # updated_at orders versions; deleted tickets are skipped
    for path in sorted((FIXTURES / "zendesk").glob("tickets-*.json")):
        for t in json.loads(path.read_text(encoding="utf-8"))["tickets"]:
            if t["id"] not in latest or utc(t["updated_at"]) > utc(latest[t["id"]]["updated_at"]):
                latest[t["id"]] = t
    channels = {"email": "email", "web": "email", "chat": "chat", "native_messaging": "chat", "voice": "voice"}
    out = []
    for t in latest.values():
        if t["status"] == "deleted":
            continue
        reply = ((t.get("metric_set") or {}).get("reply_time_in_minutes") or {}).get("calendar")
        score = (t.get("satisfaction_rating") or {}).get("score")
        out.append(contact(
            "zendesk", str(t["id"]), channel=channels.get(t["via"]["channel"], "other"), arrived=utc(t["created_at"]),
            wait=reply * 60 if reply is not None else None, abandoned=False, customer=f"zendesk-user:{t['requester_id']}",
            # one leg per ticket, its current assignee; tickets carry no handle time
            legs=[leg()] if t.get("assignee_id") else [],
            csat={"good": 1.0, "bad": 0.0}.get(score), csat_max=1.0 if score in ("good", "bad") else None))
    return out


def main():
    everything = canonical() + cloud_callcenter() + eu_telephony() + amazon_connect() + genesys() + zendesk()
    inbound = [c for c in everything if c["direction"] == "inbound"]
    week = [c for c in inbound if WEEK_FROM <= c["arrived"] < WEEK_TO]
    handled = [c for c in week if c["legs"]]
    abandoned = [c for c in week if not c["legs"]]
    short = [c for c in abandoned if c["wait"] is not None and c["wait"] < SHORT_ABANDON_S]
    base = len(week) - len(short)
    threshold = lambda c: 86400 if c["channel"] in LONG_CHANNELS else 20
    met = [c for c in handled if c["wait"] is not None and c["wait"] <= threshold(c)]
    waits = [c["wait"] for c in handled if c["wait"] is not None]
    leg_times = [sum(v or 0 for v in (l["talk"], l["hold"], l["acw"]))
                 for c in handled for l in c["legs"] if any(v is not None for v in (l["talk"], l["hold"], l["acw"]))]
    judged = [c for c in handled if c["customer"]]

    def repeated(c):
        return any(o is not c and o["customer"] == c["customer"] and c["arrived"] < o["arrived"] <= c["arrived"] + FCR_WINDOW
                   for o in inbound)

    resolved = [c for c in judged if not repeated(c)]

    def satisfied(c):
        top = c["csat_max"]
        return c["csat"] >= top - 1 if top >= 4 else c["csat"] == top

    rated = [c for c in week if c["csat"] is not None]
    promoters = [c for c in week if c["nps"] is not None and c["nps"] >= 9]
    detractors = [c for c in week if c["nps"] is not None and c["nps"] <= 6]
    responses = [c for c in week if c["nps"] is not None]
    mean = lambda xs: sum(xs) / len(xs)
    print(f"offered {len(week)}  handled {len(handled)}  abandoned {len(abandoned)}  short_abandoned {len(short)}")
    print(f"abandonment_rate {len(abandoned) - len(short)}/{base}")
    print(f"service_level {len(met)}/{base}")
    # transferred: more than one leg, or the source says so (DESIGN.md §2)
    print(f"transfer_rate {sum(c['transferred'] or len(c['legs']) > 1 for c in handled)}/{len(handled)}")
    print(f"fcr {len(resolved)}/{len(judged)}")
    print(f"csat {sum(satisfied(c) for c in rated)}/{len(rated)}")
    print(f"nps {len(promoters)} promoters, {len(detractors)} detractors of {len(responses)}")
    print(f"asa_s {mean(waits):.4f} over {len(waits)}")
    ordered = sorted(leg_times)
    h = (len(ordered) - 1) * 0.9
    p90 = ordered[math.floor(h)] + (h - math.floor(h)) * (ordered[math.ceil(h)] - ordered[math.floor(h)])
    print(f"aht_s {mean(leg_times):.4f} over {len(leg_times)} legs, p90 {p90:.4f}")


if __name__ == "__main__":
    main()
