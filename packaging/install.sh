#!/bin/sh
# Installs the PatchPortal agent on this host and enrols it with the portal.
#
#   curl -fsSL https://portal.example/downloads/install.sh | sudo sh -s -- \
#       --portal https://portal.example --token TOKEN --ca-fingerprint sha256:...
#
# Options (the enrolment ones are passed to `patch-agent enroll` unchanged):
#   --portal URL            the portal (https://, or http:// on loopback)         required
#   --token TOKEN           the one-time enrolment token the portal showed         required
#   --ca-fingerprint FP     sha256:... of the portal CA, pinned for the first call  recommended
#   --hostname NAME         the name the portal knows this host by
#   --port N                the agent's port (default 12443)
#   --package FILE          install this .deb/.rpm instead of downloading it from PORTAL/downloads/
#   --no-start              enrol but do not start the service
# Exit codes: 0 done, 1 failed, 2 bad usage.
set -eu

portal="" token="" package="" start=yes
enroll_args=""

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
fail() { echo "install.sh: $*" >&2; exit 1; }
# Quote one word for `eval set --`, so values never pass through the shell unquoted.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || { [ "$1" = "--no-start" ] || [ "$1" = "--help" ]; } || { echo "install.sh: $1 needs a value" >&2; usage; }
    case "$1" in
        --portal) portal=$2; enroll_args="$enroll_args --portal $(quote "$2")"; shift 2 ;;
        --token) token=$2; enroll_args="$enroll_args --token $(quote "$2")"; shift 2 ;;
        --ca-fingerprint|--hostname|--port) enroll_args="$enroll_args $1 $(quote "$2")"; shift 2 ;;
        --package) package=$2; shift 2 ;;
        --no-start) start=no; shift ;;
        --help) usage ;;
        *) echo "install.sh: unknown option $1" >&2; usage ;;
    esac
done
[ -n "$portal" ] && [ -n "$token" ] || { echo "install.sh: --portal and --token are required" >&2; usage; }
[ "$(id -u)" -eq 0 ] || fail "run as root (sudo): installing packages and writing /etc/patch-agent need it"

# Which package family this distribution uses.
family=""
if [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091
    . /etc/os-release
    for id in ${ID:-} ${ID_LIKE:-}; do
        case "$id" in
            debian|ubuntu) family=deb; break ;;
            rhel|fedora|centos|rocky|almalinux|ol|amzn|suse|opensuse*) family=rpm; break ;;
        esac
    done
fi
if [ -z "$family" ]; then
    if command -v dpkg >/dev/null 2>&1; then family=deb; elif command -v rpm >/dev/null 2>&1; then family=rpm; fi
fi
[ -n "$family" ] || fail "cannot tell whether this system uses .deb or .rpm packages"
[ "$(uname -m)" = "x86_64" ] || fail "the agent package is built for x86_64; this host is $(uname -m)"

cleanup=""
trap 'if [ -n "$cleanup" ]; then rm -rf "$cleanup"; fi' EXIT
if [ -z "$package" ]; then
    cleanup=$(mktemp -d)
    case "$family" in deb) name=patch-agent_amd64.deb ;; rpm) name=patch-agent.x86_64.rpm ;; esac
    package="$cleanup/$name"
    url="${portal%/}/downloads/$name"
    echo "install.sh: downloading $url"
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --proto '=https,http' -o "$package" "$url" || fail "could not download $url"
    elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$package" "$url" || fail "could not download $url"
    else
        fail "neither curl nor wget is installed; pass --package FILE"
    fi
fi
[ -f "$package" ] || fail "no such package file: $package"

echo "install.sh: installing $package"
case "$family" in
    deb) DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "$(readlink -f "$package")" ;;
    rpm)
        if command -v dnf >/dev/null 2>&1; then dnf install -y "$package"
        elif command -v yum >/dev/null 2>&1; then yum install -y "$package"
        elif command -v zypper >/dev/null 2>&1; then zypper --non-interactive install --allow-unsigned-rpm "$package"
        else rpm -Uvh "$package"; fi ;;
esac || fail "the package did not install"

echo "install.sh: enrolling with $portal"
eval "set -- $enroll_args"
patch-agent enroll "$@" || fail "enrolment failed (see the message above); the package stays installed, run install.sh again with a new token"

if [ "$start" = yes ] && [ -d /run/systemd/system ]; then
    systemctl enable --now patch-agent.service
    systemctl is-active --quiet patch-agent.service || fail "patch-agent.service did not start: journalctl -u patch-agent"
    echo "install.sh: patch-agent is running"
else
    echo "install.sh: enrolled; start the agent with: systemctl enable --now patch-agent"
fi
