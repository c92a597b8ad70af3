#!/usr/bin/env bash
# Runs the black-box suite from the repository root (all files, or those
# named in TRAVLOC_E2E_FILES, e.g. "tests/e2e/http.test.mjs").
set -euo pipefail
cd "$(dirname "$0")/../.."
files=${TRAVLOC_E2E_FILES:-$(ls tests/e2e/*.test.mjs)}
# shellcheck disable=SC2086
exec node --test --test-concurrency=2 --test-timeout=120000 $files
