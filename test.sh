#!/usr/bin/env bash
# Runs every PatchPortal test: installs what the tests need, restores, checks formatting, builds, runs the unit
# and end-to-end suites, and prints one closing line "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")"

say() { printf '==> %s\n' "$*"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages the suites drive for real: Chromium for the browser tests; lintian and rpm (rpmbuild) to build
# and inspect the .deb and .rpm packages (clang and zlib1g-dev to compile the agent's native executable); curl for install.sh; PostgreSQL's server binaries for the data-layer and
# two-node tests (they initdb and start throw-away clusters of their own; the system cluster is never used); nginx
# to check the cluster example's configuration (nginx -t) and as the baseline of the bench's smoke run.
# apt's own tools are always there.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v lintian >/dev/null || missing+=(lintian)
command -v rpmbuild >/dev/null || missing+=(rpm)
command -v fakeroot >/dev/null || missing+=(fakeroot)
command -v curl >/dev/null || missing+=(curl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# clang and zlib1g-dev: the agent's package holds a Native AOT executable (packaging/build.sh, tests/e2e/Packaging).
command -v clang >/dev/null || missing+=(clang)
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
# dnf and createrepo-c: the agent's dnf/rpm backend runs for real against a local repository of tiny packages the
# tests build with rpmbuild (tests/e2e/Agent/DnfBackendTests.cs); Debian ships both.
command -v dnf >/dev/null || missing+=(dnf)
command -v createrepo_c >/dev/null || missing+=(createrepo-c)
# nginx: the baseline of the bench, whose smoke mode runs as an e2e test (tests/e2e/Bench). Debian's policy-rc.d keeps
# the packaged service from starting; the bench runs its own instance on loopback.
[ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages the tests need: ${missing[*]}"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || {
    echo "could not install ${missing[*]}"; exit 1; }
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say "restoring"
dotnet restore Portal.sln --nologo -v q || exit 1

say "checking formatting (.editorconfig)"
# Whitespace only: style and analyzer rules are enforced by the build itself (EnforceCodeStyleInBuild, warnings as
# errors), so running them again here would only compile the solution twice (about four minutes on two cores).
dotnet format whitespace Portal.sln --verify-no-changes -v q || { echo "formatting differs: run 'dotnet format Portal.sln'"; exit 1; }

say "building"
dotnet build Portal.sln --no-restore --nologo -v q -clp:ErrorsOnly || exit 1

results=$(mktemp -d)
status=0
for project in tests/unit/Tests.Unit.csproj tests/e2e/Tests.E2E.csproj; do
  say "testing $project"
  dotnet test "$project" --no-build --nologo "$@" 2>&1 | tee "$results/$(basename "$project").log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done

# Sum the runner's per-assembly summaries ("Passed!  - Failed: 0, Passed: 36, Skipped: 0, Total: 36, ...").
read -r passed failed skipped < <(grep -hE '^\s*(Passed|Failed)!' "$results"/*.log | awk -F'[:,]' '
  { for (i = 1; i <= NF; i++) { gsub(/ /, "", $i) }
    for (i = 1; i < NF; i++) { if ($i ~ /Failed$/) f += $(i+1); if ($i == "Passed") p += $(i+1); if ($i == "Skipped") s += $(i+1) } }
  END { printf "%d %d %d\n", p, f, s }')
summaries=$(cat "$results"/*.log | grep -cE '^\s*(Passed|Failed)!')
if [ "$summaries" -lt 2 ] && [ "$failed" -eq 0 ]; then
  # A test host that crashed prints no summary; count that as a failure rather than a silent pass.
  failed=1; status=1
fi
rm -rf "$results"
[ "$failed" -eq 0 ] || status=1
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
exit "$status"
