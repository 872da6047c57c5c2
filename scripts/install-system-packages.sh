#!/bin/sh
# Installs the Debian packages of corral's native tiers (run as root):
#   bubblewrap             the bwrap tier
#   runsc                  the gvisor tier; on Debian 12 from bookworm-backports
#                          (bookworm's own runsc 20221219 breaks `ls`/`stat`: its statx
#                          refuses AT_NO_AUTOMOUNT)
#   libseccomp2 python3-seccomp   the seccomp filters
#   gcc libc6-dev          builds corral's static in-sandbox network relay once
#                          (native/relay.c; without them a Python relay starts per sandbox)
#   chromium               the dashboard's browser tests (Playwright drives /usr/bin/chromium;
#                          it never downloads a browser of its own)
# Without apt-get (not Debian/Ubuntu) it says what to install and exits 0, so the test
# suite still runs (native tests skip, naming what is missing); under CI=true it fails.
set -eu

fail() {
    echo "install-system-packages: $*" >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
    exit 0
}

command -v apt-get >/dev/null 2>&1 ||
    fail "no apt-get here; install bubblewrap, runsc (gVisor >= 2023) and libseccomp yourself"
[ "$(id -u)" = 0 ] || fail "run as root to install bubblewrap, runsc and libseccomp2"

codename=""
if [ -r /etc/os-release ]; then
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
fi
runsc_from=""
if [ "$codename" = bookworm ]; then
    list=/etc/apt/sources.list.d/corral-bookworm-backports.list
    if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        # the mirror this machine already uses for bookworm (a local mirror stays local)
        mirror=$(sed -n 's/^[[:space:]]*deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\)[[:space:]]\{1,\}bookworm[[:space:]].*/\2/p' \
            /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)
        if [ -z "$mirror" ]; then
            mirror=$(awk '
                /^[[:space:]]*$/ { if (uri != "" && suite) { print uri; exit } uri = ""; suite = 0; next }
                tolower($1) == "uris:" { uri = $2 }
                tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite = 1 }
                END { if (uri != "" && suite) print uri }
            ' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
        fi
        echo "deb ${mirror:-http://deb.debian.org/debian} bookworm-backports main" > "$list"
    fi
    runsc_from="-t bookworm-backports"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -o Dpkg::Use-Pty=0 bubblewrap libseccomp2 python3-seccomp chromium
apt-get install -y -qq -o Dpkg::Use-Pty=0 gcc libc6-dev
# real git: the corral shell's git is compared with it byte for byte (tests/shell/test_git_*)
apt-get install -y -qq -o Dpkg::Use-Pty=0 git
# shellcheck disable=SC2086
apt-get install -y -qq -o Dpkg::Use-Pty=0 $runsc_from runsc
