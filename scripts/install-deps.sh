#!/bin/sh
# Installs the Debian packages the build, the tests and the demo need, when missing.
# Package scripts must not start daemons here: a policy-rc.d that says no, removed afterwards
# only if we created it.
set -eu
packages="libpam0g-dev libmariadb-dev libssl-dev libcrypt-dev mariadb-server mariadb-client
pamtester libpam-mysql lintian gcc binutils strace util-linux valgrind sasl2-bin postfix swaks libnet-ssleay-perl libsasl2-modules openssl libsodium-dev dovecot-core dovecot-mysql"
missing=
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if ! python3 -c 'import pytest' 2>/dev/null; then
    missing="$missing python3-pytest"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing (run as root, or install them)" >&2
    exit 1
fi
created=
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created=1
fi
trap '[ -n "$created" ] && rm -f /usr/sbin/policy-rc.d' EXIT
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# postfix asks for a mail configuration at install time; the tests bring their own.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
