#!/usr/bin/env bash
# Makes sure Chromium is installed for the browser tests (Playwright drives
# Debian's chromium; nothing is downloaded by Playwright itself). Used by
# `make test` and `.ci/run`. Installs it with apt-get when it can (as root, or
# with password-less sudo); otherwise stops with one line saying how.
set -euo pipefail

# CHROMIUM names another binary to look for (the tests use it to see this script refuse).
chromium="${CHROMIUM:-chromium}"
if command -v "$chromium" >/dev/null 2>&1; then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo="sudo"
    else
        sudo="none"
    fi
fi

if [ "$sudo" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: the browser tests need Chromium: install it (on Debian: sudo apt-get install chromium) and run make test again" >&2
    exit 1
fi

echo "[chromium] not found: installing it with apt-get (the browser tests need it)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
