#!/usr/bin/env bash
# Regenerates data/tz/tz-cities.tsv, the coarse "coordinates -> IANA time
# zone" table used for opening hours: for every zone in GeoNames
# cities15000.txt (CC BY 4.0, GeoNames), its three most populous cities
# plus every capital, as "lat<TAB>lng<TAB>zone" lines. The build embeds it.
# Usage: scripts/gen-tz-cities.sh [path/to/cities15000.txt]
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-../shared/data/geonames/cities15000.txt}
out=data/tz/tz-cities.tsv
sort -t$'\t' -k18,18 -k15,15nr "$src" |
  awk -F'\t' '{ n[$18]++; if (n[$18] <= 3 || $8 == "PPLC")
    printf "%.4f\t%.4f\t%s\n", $5, $6, $18 }' >"$out"
echo "wrote $out ($(wc -l <"$out") cities)"
