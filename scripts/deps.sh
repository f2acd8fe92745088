#!/usr/bin/env bash
# Installs, with apt-get, every Debian package needed to build, test, fuzz,
# benchmark and run the demo, but only those that are missing.
set -eu
PKGS="cmake make gcc clang libclang-rt-14-dev clang-format pkg-config git
 libldns-dev ldnsutils libssl-dev openssl libcurl4-openssl-dev libjansson-dev
 libyaml-dev libevent-dev libopendkim-dev opendkim-tools libpsl-dev
 libcmocka-dev libcrypt-dev
 knot knot-dnsutils unbound pdns-server pdns-backend-sqlite3 sqlite3
 swaks python3 python3-dkim python3-nacl procps iproute2 util-linux curl
 postfix opendkim"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: every package is installed"
	exit 0
fi
echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root (or install these packages by hand):$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# postfix (make bench's comparison) must not configure a system instance.
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
# Services installed here (knot, unbound, pdns, postfix, opendkim) must not start
# system instances: the tests start their own on loopback.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
