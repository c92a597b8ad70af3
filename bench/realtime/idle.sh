#!/usr/bin/env bash
# Idle WebSocket memory, Travloc and the socket.io peer in one run.
#
#   bench/realtime/idle.sh [N=10000] [HOLD_S=12]
#
# Travloc: bench/realtime/idle-ws.mjs (official socket.io-client, websocket
# transport, heartbeats every 5 s) twice, with permessage-deflate offered
# (the client's default) and without. Peer: ../shared/bench's
# load/idle-sockets.js against a fresh Fastify peer (needs ../shared/bench
# ./setup.sh once; PEER=none skips it). TRAVLOC_BIN: a build without
# sanitizers (default build-rel/travloc).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
HOLD=${2:-12}
BIN=${TRAVLOC_BIN:-build-rel/travloc}
SHARED=${SHARED_BENCH:-../shared/bench}
ulimit -n "$(ulimit -Hn)"
echo "== travloc ($BIN), deflate offered"
TRAVLOC_BIN=$BIN node bench/realtime/idle-ws.mjs "$N" "$HOLD"
echo "== travloc ($BIN), no deflate"
DEFLATE=0 TRAVLOC_BIN=$BIN node bench/realtime/idle-ws.mjs "$N" "$HOLD"
if [ "${PEER:-fastify}" != none ]; then
  echo "== socket.io peer (${PEER:-fastify}), $SHARED/load/idle-sockets.js"
  "$SHARED/peers/peer.sh" stop "${PEER:-fastify}" >/dev/null 2>&1 || true
  "$SHARED/peers/peer.sh" start "${PEER:-fastify}" 3001 >/dev/null
  node "$SHARED/load/idle-sockets.js" http://127.0.0.1:3001 --levels "$N" --hold "$((HOLD * 2))" |
    grep -E '^IDLEJSON|^\|' || true
  "$SHARED/peers/peer.sh" stop "${PEER:-fastify}" >/dev/null
fi
