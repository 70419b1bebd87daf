#!/usr/bin/env python3
"""Prints the front-end comparison from PLINTH/PYTHON JSON lines on stdin."""
import json
import sys

rows = {}
for line in sys.stdin:
    tag, r = line.split(" ", 1)
    r = json.loads(r)
    rows.setdefault(r["name"], {})[tag] = r
print(f"{'front end':<10} {'files':>5} {'threads':>7} {'Plinth items/s':>15} {'reference items/s':>18} {'speed ratio':>11}")
for name, peers in rows.items():
    p, q = peers["PLINTH"], peers["PYTHON"]
    ratio = p["items_per_s"] / q["items_per_s"]
    print(f"{name:<10} {p['files']:>5} {p['threads']:>7} {p['items_per_s']:>15.1f} {q['items_per_s']:>18.1f} {ratio:>11.2f}")
print("(speed ratio = Plinth / reference: above 1.0 means Plinth is faster)")
