#!/usr/bin/env bash
# Starts PatchPortal on its embedded defaults: the portal on http://127.0.0.1:5080 with SQLite and its own CA in
# .data/portal, and a local agent that the portal enrols (real token + CSR flow) and supervises on 127.0.0.1:12443.
# Extra arguments go to the portal, e.g. ./run.sh --Portal:LocalAgent:Backend=simulated
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Portal.sln -c Release --nologo -v q -clp:ErrorsOnly
echo "PatchPortal: open http://127.0.0.1:5080 (the first start prints the admin password below). Ctrl+C stops portal and agent."
exec dotnet src/Portal/bin/Release/net10.0/patch-portal.dll \
  --contentRoot "$PWD/src/Portal/bin/Release/net10.0" \
  --Portal:DataDir="$PWD/.data/portal" \
  --Portal:LocalAgent:Enabled=true \
  --Portal:LocalAgent:AgentPath="$PWD/src/Agent/bin/Release/net10.0/patch-agent.dll" \
  "$@"
