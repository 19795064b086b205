#!/usr/bin/python3
"""The Python reference for `make bench`: drops `price` and `discount`.

Written the way a typical hand-written S3 Object Lambda function is, on
purpose: read the whole object into memory, split it into lines,
json.loads each record, pop the two keys, json.dumps, join, write. That
is what users run today and what inflight is compared with; do not tune
it (no streaming, no orjson), or the comparison stops being honest.

usage: reference.py INPUT OUTPUT
"""
import json
import sys


def transform(data):
    """The handler's body: the object's bytes in, the new object's bytes out."""
    records = []
    for line in data.decode("utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        record.pop("price", None)
        record.pop("discount", None)
        records.append(json.dumps(record))
    return ("\n".join(records) + "\n").encode("utf-8") if records else b""


def main():
    # In Lambda: data = urllib3.request("GET", event["getObjectContext"]["inputS3Url"]).data
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    body = transform(data)
    # In Lambda: s3.write_get_object_response(Body=body, RequestRoute=..., RequestToken=...)
    with open(sys.argv[2], "wb") as f:
        f.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
