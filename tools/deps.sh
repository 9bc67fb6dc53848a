#!/bin/sh
# The Debian packages antre needs to build, run and test.
#   deps.sh check    installs what is missing (as root), or says how, and fails
#   deps.sh install  the same, always running apt-get for the missing ones
#   a second word "bench" adds what make bench compares with (nchan; nginx
#   itself is always there: test_proxy runs it in front of two antred),
#   "coverage" what make coverage reports with (gcovr)
set -eu
pkgs="make gcc clang pkg-config libevent-dev libhiredis-dev libqrencode-dev
libcjson-dev libjemalloc-dev libpng-dev zlib1g-dev libssl-dev libcmocka-dev redis-server
redis-tools console-setup-linux python3 curl wrk zbar-tools tmux nodejs chromium
libsystemd-dev systemd groff-base libclang-rt-14-dev valgrind libespeak-ng-dev
espeak-ng-data nginx"
[ "${2:-}" = bench ] && pkgs="$pkgs libnginx-mod-nchan"
[ "${2:-}" = coverage ] && pkgs="$pkgs gcovr"

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
# NodeSource's nodejs ships npm and conflicts with Debian's; Debian's needs it
command -v npm >/dev/null 2>&1 || missing="$missing npm"
# test_install's unit checks need systemd-analyze (package systemd); under
# CI they fail rather than skip without it
command -v systemd-analyze >/dev/null 2>&1 || case " $missing " in
	*" systemd "*) ;;
	*) missing="$missing systemd" ;;
esac
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "antre needs these Debian packages:$missing" >&2
	echo "install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
