#!/usr/bin/env bash
# Tools the test suite needs besides Go and PostgreSQL (devdb.sh): pdftoppm
# renders the service-sheet PDF in tests. Installed with apt when missing and
# we are root or have password-less sudo; otherwise a clear message.
set -euo pipefail

need=()
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
((${#need[@]} == 0)) && exit 0

sudo=()
if ((EUID != 0)); then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo=(sudo -n)
	else
		echo "testdeps: ${need[*]} missing; install it (e.g. 'sudo apt-get install ${need[*]}')" >&2
		exit 1
	fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "testdeps: ${need[*]} missing and apt-get is unavailable; install it" >&2
	exit 1
fi
echo "testdeps: installing ${need[*]} with apt-get..." >&2
${sudo[@]+"${sudo[@]}"} apt-get update -qq >&2
${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
