#!/usr/bin/python3
"""Checks a transformed object: it parses as JSON in the given framing and
no key equal to (after decoding) one of the forbidden names is left
anywhere. usage: jsoncheck.py ndjson|array|document FILE [NAME...]"""
import json
import sys


def reject_constant(c):
    raise ValueError("non-JSON constant " + c)


def records(framing, data):
    text = data.decode("utf-8")
    if framing == "ndjson":
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line, parse_constant=reject_constant)
    elif framing == "array":
        v = json.loads(text, parse_constant=reject_constant)
        assert isinstance(v, list), "not an array"
        yield from v
    else:
        if text.strip():
            yield json.loads(text, parse_constant=reject_constant)


def keys(v, pairs_seen):
    if isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from keys(x, pairs_seen)
    elif isinstance(v, list):
        for x in v:
            yield from keys(x, pairs_seen)


def main():
    framing, path, names = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    with open(path, "rb") as f:
        data = f.read()
    n = 0
    # object_pairs_hook keeps duplicate keys visible
    for rec in records(framing, data):
        n += 1
        left = [k for k in keys(rec, None) if k in names]
        if left:
            print("forbidden key left:", left[0])
            return 1
    # duplicates: re-parse with pairs to see every occurrence
    text = data.decode("utf-8")
    found = []
    def hook(pairs):
        found.extend(k for k, _ in pairs if k in names)
        return dict(pairs)
    if framing == "ndjson":
        for line in text.splitlines():
            if line.strip():
                json.loads(line, object_pairs_hook=hook)
    elif text.strip():
        json.loads(text, object_pairs_hook=hook)
    if found:
        print("forbidden duplicate key left:", found[0])
        return 1
    print("ok", n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
