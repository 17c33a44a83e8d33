#!/bin/sh
# make deps: installs the Debian packages the build, the tests and the demo need, when missing.
#
# It says what it will install first, asks apt-get what that would do (apt-get -s), and refuses to
# go on when apt-get would remove or replace a mail server that is installed (postfix would remove
# exim4-daemon-*) or a database server (a MySQL server, or a MariaDB server of another major
# version), unless told to:
#
#   make deps FORCE=1       (or PAM_MYSQL_DEPS_FORCE=1 scripts/install-deps.sh): go ahead anyway
#   make deps DRY_RUN=1     (or PAM_MYSQL_DEPS_DRY_RUN=1): say what would happen, change nothing
#   scripts/install-deps.sh --judge FILE
#                           the decision alone, on saved `apt-get -s install …` output (the tests'
#                           entry point: Tests/integration/test_install_deps.py); exit 0 to go on,
#                           3 to refuse
#
# Package scripts must not start daemons here: a policy-rc.d that says no, removed afterwards
# only if we created it.
set -eu

force=${PAM_MYSQL_DEPS_FORCE:-${FORCE:-}}
dry_run=${PAM_MYSQL_DEPS_DRY_RUN:-${DRY_RUN:-}}
[ "$force" = 0 ] && force=
[ "$dry_run" = 0 ] && dry_run=

# Reads `apt-get -s install` output on standard input. Prints what apt-get would install and
# remove, and each reason to refuse. Exit status 0: go on; 3: refused (unless $1 is non-empty,
# which turns the refusal into a warning).
judge() {
    awk -v force="$1" '
    function mail_server(p) {
        return p ~ /^(exim4|exim4-.*|sendmail|sendmail-.*|opensmtpd|courier-mta|nullmailer|dma|msmtp-mta|ssmtp|masqmail|citadel-mta)(:.*)?$/
    }
    function database_server(p) {
        return p ~ /^(mysql-server|mysql-server-.*|mysql-community-server.*|percona-server-server.*|percona-xtradb-cluster-server.*|mariadb-server|mariadb-server-.*|mariadb-galera-server.*)(:.*)?$/
    }
    # "1:10.11.6-0+deb12u1" -> "10.11": the major version of MySQL and MariaDB.
    function major(v) {
        sub(/^[0-9]+:/, "", v)
        split(v, part, /[.~+-]/)
        return part[1] "." part[2]
    }
    /^Remv / {
        name = $2; version = $3; gsub(/[][]/, "", version)
        removed = removed " " name
        if (mail_server(name))
            reasons = reasons "\n  - " name " " version " (an installed mail server) would be removed"
        else if (database_server(name))
            reasons = reasons "\n  - " name " " version " (an installed database server) would be removed"
        next
    }
    /^Inst / {
        name = $2
        installed = installed " " name
        # "Inst NAME [OLD] (NEW …)": an installed package replaced by another version.
        if ($3 ~ /^\[/ && database_server(name)) {
            old = $3; gsub(/[][]/, "", old)
            new = $4; sub(/^\(/, "", new)
            if (major(old) != major(new))
                reasons = reasons "\n  - " name " " old " (an installed database server) would become " new
        }
    }
    END {
        if (installed != "") print "apt-get would install:" installed
        if (removed != "") print "apt-get would remove:" removed
        if (reasons == "") exit 0
        if (force != "") {
            print "FORCE is set: going ahead although" reasons
            exit 0
        }
        print "make deps refuses to go on: installing the packages the tests need would replace what this machine runs:" reasons
        print "Nothing was changed. Run the tests on a machine of their own, or go ahead anyway with"
        print "  make deps FORCE=1      (or PAM_MYSQL_DEPS_FORCE=1 scripts/install-deps.sh)"
        exit 3
    }'
}

if [ "${1:-}" = "--judge" ]; then
    [ $# -eq 2 ] || { echo "usage: $0 --judge FILE" >&2; exit 64; }
    judge "$force" < "$2"
    exit $?
fi

packages="libpam0g-dev libmariadb-dev libssl-dev libcrypt-dev mariadb-server mariadb-client
pamtester libpam-mysql lintian gcc binutils strace util-linux valgrind sasl2-bin postfix swaks libnet-ssleay-perl libsasl2-modules openssl libsodium-dev dovecot-core dovecot-mysql
galera-4 rsync fail2ban linux-perf"
missing=
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if ! python3 -c 'import pytest' 2>/dev/null; then
    missing="$missing python3-pytest"
fi
[ -z "$missing" ] && exit 0
echo "make deps will install these Debian packages:$missing"
if [ "$(id -u)" != 0 ] && [ -z "$dry_run" ]; then
    echo "missing Debian packages:$missing (run as root, or install them)" >&2
    exit 1
fi
created=
cleanup() {
    [ -n "$created" ] && rm -f /usr/sbin/policy-rc.d
    [ -n "${simulation:-}" ] && rm -f "$simulation"
    return 0
}
trap cleanup EXIT
export DEBIAN_FRONTEND=noninteractive
if [ -z "$dry_run" ]; then
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        created=1
    fi
    apt-get update -q
fi
simulation=$(mktemp)
# shellcheck disable=SC2086
if ! apt-get -s -q install --no-install-recommends $missing > "$simulation" 2>&1; then
    cat "$simulation" >&2
    echo "apt-get cannot install these packages (see above); nothing was changed" >&2
    exit 1
fi
status=0
judge "$force" < "$simulation" || status=$?
if [ -n "$dry_run" ]; then
    echo "DRY_RUN is set: nothing was installed"
    exit "$status"
fi
[ "$status" = 0 ] || exit "$status"
# postfix asks for a mail configuration at install time; the tests bring their own.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
# fail2ban (the tests only run fail2ban-regex) was not installed before: a server its postinst
# started anyway (where a policy-rc.d lets it) is ours to stop.
case " $missing " in
*" fail2ban "*)
    if command -v fail2ban-client >/dev/null 2>&1 && fail2ban-client ping >/dev/null 2>&1; then
        fail2ban-client stop >/dev/null 2>&1 || true
    fi
    ;;
esac
