#!/usr/bin/env bash
# Runs the Python CAO's own client code against this server: its `cao launch` (headless, with a task), its `cao info`,
# and its MCP server's handoff, assign, send_message, load_skill and delete_terminal (driven by the MCP SDK client).
# Not part of the test suite: it needs the Python CAO installed, which its dependencies keep out of CI here.
#
#   scripts/python-cao-check/run.sh /path/to/python   (a python3 with cli-agent-orchestrator installed, e.g. a venv's)
#
# Python packages that cannot be installed (libtmux, python-frontmatter) are stood in for by stubs/, enough for the
# imports of the code under check, which never drives tmux itself. `npm run build` first.
set -euo pipefail
PYTHON=${1:?usage: run.sh /path/to/python-with-the-python-cao}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/cao-python-check-XXXXXX)
PORT=${CAO_CHECK_PORT:-19889}
export CAO_HOME=$WORK/home CAO_API_PORT=$PORT CAO_TMUX_SOCKET=cao-python-check-$$ HOME=$WORK/user CAO_HOME_DIR=$WORK/python-home
mkdir -p "$HOME" "$CAO_HOME_DIR"
node "$ROOT/dist/cli/main.js" server --no-watch > "$WORK/server.log" 2>&1 &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; tmux -L "$CAO_TMUX_SOCKET" kill-server 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break; sleep 0.2; done
py() { PYTHONPATH="$HERE/stubs" "$PYTHON" "$@"; }
echo "== the Python CAO's cao launch --agents developer --provider mock_cli --headless --yolo \"write the changelog\""
py -c "from cli_agent_orchestrator.cli.commands.launch import launch; launch()" \
  --agents developer --provider mock_cli --headless --yolo --session-name check "write the changelog"
echo "== the Python CAO's cao info, in that session"
CAO_SESSION_NAME=cao-check py -c "from cli_agent_orchestrator.cli.commands.info import info; info()"
echo "== the Python CAO's MCP server, as the session's first terminal"
PYTHON="$PYTHON" STUBS="$HERE/stubs" node "$HERE/mcp-tools.mjs"
