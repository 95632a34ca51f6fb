#!/usr/bin/env python3
"""Load for `POST /webhooks/leads`: batches of new leads, each request signed
per the Standard Webhooks spec with its own `webhook-id`, so every batch is
real ingestion (no replay, no upsert of an earlier lead).

    webhook_load.py URL SECRET --batches 8 --size 1000 --concurrency 1 --run tag

Prints one JSON object: requests, leads, seconds, leads_per_s, p50_ms,
p99_ms, statuses. Only the standard library: oha cannot sign each request.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import random
import statistics
import sys
import threading
import time
import urllib.parse

SOURCES = ["WEB", "MARKETING_AUTOMATION", "EVENT", "PARTNER", "REFERRAL"]
TIMELINES = ["WITHIN_MONTH", "WITHIN_QUARTER", "WITHIN_YEAR", "LATER", "UNKNOWN"]
FIRST = ["Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hannah", "Ivan", "Julia"]
LAST = ["Adams", "Becker", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hoffmann"]


def body(run, batch, size, rng):
    leads = []
    for i in range(size):
        n = f"{run}-{batch}-{i}"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        lead = {
            "source": rng.choice(SOURCES),
            "externalRef": f"bench-{n}",
            "firstName": first,
            "lastName": last,
            "email": f"{first.lower()}.{last.lower()}.{n}@bench-{batch % 97}.io",
            "company": f"Bench {batch % 97} Ltd",
            "timeline": rng.choice(TIMELINES),
        }
        if rng.random() < 0.5:
            lead["phone"] = "+49 30 5550100"
        if rng.random() < 0.3:
            lead["budget"] = {"amount": str(rng.randint(5, 500) * 1000), "currency": "EUR"}
        leads.append(lead)
    return json.dumps({"leads": leads}).encode()


def sign(secret, msg_id, timestamp, payload):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + payload
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("secret")
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--run", default=str(int(time.time())))
    args = parser.parse_args()

    rng = random.Random(args.run)
    bodies = [body(args.run, b, args.size, rng) for b in range(args.batches)]
    url = urllib.parse.urlparse(args.url)
    latencies, statuses, errors = [], {}, []
    lock = threading.Lock()
    next_batch = iter(range(args.batches))

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
        while True:
            with lock:
                b = next(next_batch, None)
            if b is None:
                break
            payload = bodies[b]
            msg_id = f"msg_{args.run}_{b}"
            ts = str(int(time.time()))
            headers = {
                "content-type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": ts,
                "webhook-signature": sign(args.secret, msg_id, ts, payload),
            }
            started = time.perf_counter()
            conn.request("POST", url.path, body=payload, headers=headers)
            response = conn.getresponse()
            text = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status != 200 and len(errors) < 3:
                    errors.append(text[:300].decode(errors="replace"))
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    ok = statuses.get(200, 0)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(json.dumps({
        "requests": len(latencies),
        "leads": ok * args.size,
        "seconds": round(seconds, 3),
        "requests_per_s": round(len(latencies) / seconds, 3),
        "leads_per_s": round(ok * args.size / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(pct(0.99), 1),
        "statuses": statuses,
        "errors": errors,
    }))
    return 0 if ok == len(latencies) else 1


if __name__ == "__main__":
    sys.exit(main())
