#!/bin/sh
# Sandbox rollback target: pretends to return one service to NIGHTSHIFT_TARGET_VERSION.
cat >/dev/null
echo "rolling back ${NIGHTSHIFT_SERVICE:-everything} on ${NIGHTSHIFT_ENV} to ${NIGHTSHIFT_TARGET_VERSION}"
echo "version=${NIGHTSHIFT_TARGET_VERSION}"
