#!/usr/bin/env python3
"""One caller's flood against another caller's latency.

Measures a second user's simple query (p50/p99 over N sequential requests)
on an idle server, then again while an attacker sends, in a loop from
several threads, (a) documents the limits refuse (fragment doubling, 1,000
aliases, 1,000 counts) and (b) the most expensive queries the limits still
accept. Prints a Markdown table; the goal is the victim's p50 within 2x of
idle. Run by bench/fairness.sh, which starts the server.

usage: fairness.py URL ATTACKER_TOKEN VICTIM_TOKEN [SECONDS]
"""

import json
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request

URL, ATTACKER, VICTIM = sys.argv[1], sys.argv[2], sys.argv[3]
SECONDS = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
ATTACK_THREADS = 8
VICTIM_PACE = 0.05

VICTIM_QUERY = "{ leads(first: 10) { edges { node { id email status } } } }"


def doubling(levels):
    q = "query{...F%d} fragment F0 on Query{__typename}" % levels
    for i in range(1, levels + 1):
        q += " fragment F%d on Query{...F%d ...F%d}" % (i, i - 1, i - 1)
    return q


REFUSED = [
    doubling(30),
    "{ " + " ".join("a%d: __typename" % i for i in range(1000)) + " }",
    "{ " + " ".join("a%d: leads(first: 1) { totalCount }" % i for i in range(1000)) + " }",
]
# Accepted by every limit, and as costly as they allow.
EXPENSIVE = [
    "{ "
    + " ".join(
        "a%d: leads(first: 100) { totalCount edges { node { id email company score "
        "scoreFactors { factor points } history { from to at } } } }" % i
        for i in range(4)
    )
    + " }",
    "{ "
    + " ".join(
        'p%d: pipeline(filter: {currency: "EUR"}) { stages { stage count } winRate }' % i
        for i in range(15)
    )
    + " }",
]


def post(token, query):
    body = json.dumps({"query": query}).encode()
    req = urllib.request.Request(
        URL + "/graphql",
        data=body,
        headers={
            "Authorization": "Bearer " + token,
            "Content-Type": "application/json",
            "Accept": "application/graphql-response+json",
        },
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    return status, time.perf_counter() - started


def victim(seconds):
    """A user's pace: one request every 50 ms (within the default rate)."""
    times, statuses = [], {}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        status, took = post(VICTIM, VICTIM_QUERY)
        statuses[status] = statuses.get(status, 0) + 1
        times.append(took * 1000)
        time.sleep(max(0.0, VICTIM_PACE - took))
    times.sort()
    return {
        "n": len(times),
        "p50": statistics.median(times),
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))],
        "statuses": statuses,
    }


def attack(queries, stop, counts):
    i = 0
    while not stop.is_set():
        status, _ = post(ATTACKER, queries[i % len(queries)])
        counts[status] = counts.get(status, 0) + 1
        i += 1


def under(queries):
    stop, counts = threading.Event(), {}
    threads = [
        threading.Thread(target=attack, args=(queries, stop, counts)) for _ in range(ATTACK_THREADS)
    ]
    for t in threads:
        t.start()
    time.sleep(1)
    result = victim(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    result["attack"] = counts
    return result


def main():
    post(VICTIM, VICTIM_QUERY)
    idle = victim(SECONDS)
    refused = under(REFUSED)
    expensive = under(EXPENSIVE)
    print("| victim's `leads(first: 10)` | requests | p50 ms | p99 ms | p50 ÷ idle | attacker's answers |")
    print("|---|---:|---:|---:|---:|---|")
    for name, r in [
        ("idle", idle),
        ("attacker sends refused documents (8 threads)", refused),
        ("attacker sends the costliest accepted queries (8 threads)", expensive),
    ]:
        print(
            "| %s | %d | %.1f | %.1f | %.2f | %s |"
            % (
                name,
                r["n"],
                r["p50"],
                r["p99"],
                r["p50"] / idle["p50"],
                ", ".join("%s: %d" % kv for kv in sorted(r.get("attack", {}).items())) or "-",
            )
        )
    bad = [s for r in (idle, refused, expensive) for s in r["statuses"] if s != 200]
    if bad:
        print("victim got non-200 answers: %s" % bad, file=sys.stderr)
        sys.exit(1)


main()
