#!/usr/bin/env bash
# Runs the PatchPortal benchmarks and writes docs/benchmarks.md (see that file for what is measured).
#   bench/run.sh [--smoke] [--only agent|portal|soak] [--out FILE]
# Installs Debian's nginx (the baseline), Chromium (the browser figures) and, for the agent's Native AOT form, clang and
# zlib1g-dev (the AOT compiler links with them) when missing, builds Release, runs.
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [[ " $* " != *" --smoke "* && " $* " != *" --only portal "* && " $* " != *" --only soak "* ]]; then
  command -v clang >/dev/null || missing+=(clang)
  [ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "==> building Release"
dotnet build Portal.sln -c Release --nologo -v q -clp:ErrorsOnly
if [[ " $* " != *" --smoke "* && " $* " != *" --only portal "* && " $* " != *" --only soak "* ]]; then
  # The agent as a self-contained single file, and the same with ReadyToRun code: start-up
  # and memory are measured for both next to the framework-dependent build.
  for form in packaged r2r; do
    echo "==> publishing the agent ($form)"
    r2r=false; [ "$form" = r2r ] && r2r=true
    dotnet publish src/Agent/Agent.csproj -c Release -r linux-x64 --self-contained true -p:PublishSingleFile=true \
      -p:PublishReadyToRun=$r2r -p:DebugType=none --nologo -v q -clp:ErrorsOnly -o "bench/bin/agent-$form"
  done
  # Native AOT: one native executable, no JIT (the ILCompiler package comes from NuGet through the SDK).
  echo "==> publishing the agent (aot)"
  dotnet publish src/Agent/Agent.csproj -c Release -r linux-x64 -p:PublishAot=true -p:DebugType=none --nologo -v q \
    -clp:ErrorsOnly -o bench/bin/agent-aot
fi
exec dotnet bench/bin/Release/net10.0/patchportal-bench.dll "$@"
