#!/usr/bin/env python3
"""Turns raw benchmark output into result lines and the Markdown table.

    report.py oha NAME CLIENTS OHA_JSON          -> one JSON result line
    report.py pgbench NAME CLIENTS STDOUT LOGS.. -> one JSON result line
    report.py table RESULTS_JSONL                -> the Markdown table
"""

import json
import sys


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def oha(name, clients, path):
    with open(path) as f:
        data = json.load(f)
    summary = data["summary"]
    pct = data.get("latencyPercentiles", {})
    statuses = data.get("statusCodeDistribution", {})
    errors = data.get("errorDistribution", {})
    return {
        "kind": "ltc",
        "name": name,
        "clients": int(clients),
        "requests": sum(int(v) for v in statuses.values()),
        "rps": summary.get("requestsPerSec"),
        "p50_ms": (pct.get("p50") or 0) * 1000,
        "p99_ms": (pct.get("p99") or 0) * 1000,
        "success_rate": summary.get("successRate"),
        "statuses": statuses,
        "errors": errors,
    }


def pgbench(name, clients, stdout_path, *logs):
    tps = None
    with open(stdout_path) as f:
        for line in f:
            if line.startswith("tps = "):
                tps = float(line.split()[2])
    latencies = []
    for path in logs:
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3:
                    latencies.append(int(fields[2]) / 1000.0)
    latencies.sort()
    return {
        "kind": "sql",
        "name": name,
        "clients": int(clients),
        "tps": tps,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "transactions": len(latencies),
    }


def fmt(value, digits=1):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def table(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    ltc = {(r["name"], r["clients"]): r for r in rows if r["kind"] == "ltc"}
    sql = {(r["name"], r["clients"]): r for r in rows if r["kind"] == "sql"}
    stmts = {r["name"]: r for r in rows if r["kind"] == "stmts"}
    rss = {r["name"]: r for r in rows if r["kind"] == "rss"}
    hooks = [r for r in rows if r["kind"] == "webhook"]
    names = []
    for r in rows:
        if r["kind"] in ("ltc", "webhook") and r["name"] not in names:
            names.append(r["name"])
    out = [
        "| query | clients | req/s | p50 ms | p99 ms | SQL stmts/req | SQL ms/req | SQL-only req/s | SQL-only p50 / p99 ms | ltc ÷ SQL | server RSS peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        for clients in (1, 16):
            r = ltc.get((name, clients))
            hook = next((h for h in hooks if h["name"] == name and h["clients"] == clients), None)
            s = sql.get((name, clients))
            st = stmts.get(name, {}).get("per_request") if clients == 1 else None
            st_ms = stmts.get(name, {}).get("sql_ms") if clients == 1 else None
            mem = rss.get(name, {}).get("max_mb") if clients == 16 else None
            if hook:
                out.append(
                    f"| {name} (leads/s {fmt(hook['leads_per_s'], 0)}) | {clients} | "
                    f"{fmt(hook['requests_per_s'], 2)} | {fmt(hook['p50_ms'])} | {fmt(hook['p99_ms'])} | "
                    f"{fmt(st)} | {fmt(st_ms)} | – | – | – | {fmt(mem, 0)} |"
                )
                continue
            if not r:
                continue
            ratio = (r["rps"] / s["tps"]) if s and s.get("tps") else None
            out.append(
                f"| {name} | {clients} | {fmt(r['rps'])} | {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | "
                f"{fmt(st)} | {fmt(st_ms, 2)} | {fmt(s and s['tps'])} | "
                f"{fmt(s and s['p50_ms'], 2)} / {fmt(s and s['p99_ms'], 2)} | "
                f"{fmt(ratio, 2)} | {fmt(mem, 0)} |"
            )
    bad = [r for r in rows if r["kind"] == "ltc" and r.get("success_rate") not in (None, 1, 1.0)]
    bad += [r for r in rows if r["kind"] == "ltc" and any(k != "200" for k in r.get("statuses", {}))]
    for r in bad:
        out.append(f"\n**{r['name']} c{r['clients']}: statuses {r['statuses']} errors {r['errors']}**")
    for r in rows:
        if r["kind"] == "note":
            out.append(f"\n{r['text']}")
    print("\n".join(out))


def main():
    command, *args = sys.argv[1:]
    if command == "oha":
        print(json.dumps(oha(*args)))
    elif command == "pgbench":
        print(json.dumps(pgbench(*args)))
    elif command == "table":
        table(*args)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
