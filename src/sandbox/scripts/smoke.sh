#!/bin/sh
# Sandbox smoke check: smoke.sh <env> <state dir>. The sandbox's `fail smoke` creates
# <state dir>/fail-smoke; the next PROD smoke run consumes it and fails once.
if [ "$1" = "prod" ] && [ -f "$2/fail-smoke" ]; then
  rm -f "$2/fail-smoke"
  echo "fail: /checkout 回應 HTTP 500"
  exit 1
fi
echo "smoke ok ($1)"
