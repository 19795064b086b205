#!/usr/bin/env bash
# runner: long
# The runtime as an S3 Object Lambda function, under a Runtime API test
# server, with s3rver, a fault-injecting object server and a WGOR sink that
# verifies SigV4 with botocore; all on 127.0.0.1. See lambda_test.py.
exec /usr/bin/python3 "$(dirname "$0")/lambda_test.py" "${1:-build}"
