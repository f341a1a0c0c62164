#!/bin/sh
# Sandbox deploy target: pretends to deploy one service (release JSON on stdin) and reports the version.
cat >/dev/null
echo "deploying ${NIGHTSHIFT_SERVICE:-everything} ${NIGHTSHIFT_VERSION} to ${NIGHTSHIFT_ENV}"
echo "version=${NIGHTSHIFT_VERSION}"
