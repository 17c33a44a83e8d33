#!/bin/sh
# Builds build/libpam-mysql-swift_<version>_<arch>.deb with dpkg-deb from build/pam_mysql.so,
# build/pam-mysql, build/pam-mysql-authd, packaging/systemd/ and man/.
# Usage: packaging/build-deb.sh [VERSION]
set -eu
# The upstream version is the tool's (`pam-mysql --version`), read from its one place; -1 is the
# Debian revision.
UPSTREAM=$(sed -n 's/^ *static let current = "\(.*\)"$/\1/p' Sources/pam-mysql/PackageVersion.swift)
[ -n "$UPSTREAM" ] || { echo "build-deb.sh: no version in Sources/pam-mysql/PackageVersion.swift" >&2; exit 1; }
VERSION=${1:-$UPSTREAM-1}
ARCH=$(dpkg --print-architecture)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)
PKG=libpam-mysql-swift
ROOT=build/deb/$PKG
rm -rf build/deb
mkdir -p "$ROOT/DEBIAN" "$ROOT/lib/$MA/security" "$ROOT/usr/bin" "$ROOT/usr/sbin" "$ROOT/usr/share/man/man1" \
    "$ROOT/usr/share/man/man8" "$ROOT/usr/share/doc/$PKG/examples" "$ROOT/usr/share/$PKG" \
    "$ROOT/lib/systemd/system" "$ROOT/etc"
install -m 0644 build/pam_mysql.so "$ROOT/lib/$MA/security/pam_mysql.so"
install -m 0755 build/pam-mysql "$ROOT/usr/bin/pam-mysql"
install -m 0755 build/pam-mysql-authd "$ROOT/usr/sbin/pam-mysql-authd"
gzip -9n -c man/pam-mysql.1 > "$ROOT/usr/share/man/man1/pam-mysql.1.gz"
gzip -9n -c man/pam_mysql.8 > "$ROOT/usr/share/man/man8/pam_mysql.8.gz"
gzip -9n -c man/pam-mysql-authd.8 > "$ROOT/usr/share/man/man8/pam-mysql-authd.8.gz"
# The daemon's units, shipped disabled: no postinst enables or starts them.
for unit in packaging/systemd/*; do
    install -m 0644 "$unit" "$ROOT/lib/systemd/system/$(basename "$unit")"
done
# A conffile (the daemon's own path, no other package has it). 0640: per-service sections may
# hold the database password; postinst gives it to group pam-mysql-authd once that exists.
install -m 0640 packaging/pam-mysql-authd.conf "$ROOT/etc/pam-mysql-authd.conf"
printf '/etc/pam-mysql-authd.conf\n' > "$ROOT/DEBIAN/conffiles"
chmod 0644 "$ROOT/DEBIAN/conffiles"
install -m 0644 packaging/debian/copyright "$ROOT/usr/share/doc/$PKG/copyright"
install -m 0644 packaging/pam-mysql.conf "$ROOT/usr/share/doc/$PKG/examples/pam-mysql.conf"
# fail2ban's filters and jails for the daemon, as examples: fail2ban is not a dependency, and
# /etc/fail2ban is the administrator's.
for f2b in packaging/fail2ban/filter.d/* packaging/fail2ban/jail.d/*; do
    install -D -m 0644 "$f2b" "$ROOT/usr/share/doc/$PKG/examples/${f2b#packaging/}"
done
# The quick start in short, and the administrator's guide it points at (compressed: over 4 KiB).
install -m 0644 packaging/README.Debian "$ROOT/usr/share/doc/$PKG/README.Debian"
gzip -9n -c README.md > "$ROOT/usr/share/doc/$PKG/README.md.gz"
chmod 0644 "$ROOT/usr/share/doc/$PKG/README.md.gz"
# The template postinst copies to /etc/pam-mysql.conf (0640) when that file does not exist: not a
# conffile, because libpam-mysql owns that path as one.
install -m 0644 packaging/pam-mysql.conf "$ROOT/usr/share/$PKG/pam-mysql.conf"
printf 'auth    required pam_mysql.so config_file=/etc/pam-mysql.conf\naccount required pam_mysql.so config_file=/etc/pam-mysql.conf\n' \
    > "$ROOT/usr/share/doc/$PKG/examples/pam.d-smtp"
chmod 0644 "$ROOT/usr/share/doc/$PKG/examples/pam.d-smtp"
printf '%s (%s) unstable; urgency=medium\n\n  * Package built by make deb.\n\n -- pam-mysql-swift maintainers <pam-mysql@example.org>  %s\n' \
    "$PKG" "$VERSION" "$(date -R -d @${SOURCE_DATE_EPOCH:-$(date +%s)})" | gzip -9n > "$ROOT/usr/share/doc/$PKG/changelog.Debian.gz"
for f in preinst postinst postrm; do
    sed "s/@MULTIARCH@/$MA/" "packaging/debian/$f" > "$ROOT/DEBIAN/$f"
    chmod 0755 "$ROOT/DEBIAN/$f"
done
# Shared-library dependencies computed from the three ELF files (libpam0g, libmariadb3, …).
mkdir -p build/deb/debian
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PKG" "$PKG" > build/deb/debian/control
DEPENDS=$(cd build/deb && dpkg-shlibdeps -O "$PKG/lib/$MA/security/pam_mysql.so" "$PKG/usr/bin/pam-mysql" \
    "$PKG/usr/sbin/pam-mysql-authd" 2>/dev/null \
    | sed -n 's/^shlibs:Depends=//p')
# libsodium is opened with dlopen on first Argon2 use (Sources/PAMMySQLCore/Support/Sodium.swift),
# so dpkg-shlibdeps cannot see it: declare it, with the soname's package.
DEPENDS="$DEPENDS, libsodium23 (>= 1.0.18)"
# postinst creates the daemon's system user with adduser.
DEPENDS="$DEPENDS, adduser"
SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
cat > "$ROOT/DEBIAN/control" <<CONTROL
Package: $PKG
Version: $VERSION
Architecture: $ARCH
Maintainer: pam-mysql-swift maintainers <pam-mysql@example.org>
Installed-Size: $SIZE
Depends: $DEPENDS
Section: admin
Priority: optional
Homepage: https://github.com/NigelCunningham/pam-MySQL
Description: PAM module authenticating against MariaDB/MySQL (Swift rewrite)
 A drop-in replacement for pam_mysql 0.8.2 with the same options, plus timeouts,
 TLS, server failover and Dovecot's password schemes, and the pam-mysql tool
 that checks a PAM configuration link by link, makes stored values and tests
 logins. libpam-mysql's module is diverted while this package is installed.
 .
 pam-mysql-authd answers Postfix (Dovecot's auth protocol) and Cyrus SASL
 (saslauthd's protocol) from the same table without saslauthd or PAM; its
 systemd units are installed disabled.
CONTROL
dpkg-deb --root-owner-group --build "$ROOT" "build/${PKG}_${VERSION}_${ARCH}.deb" >/dev/null
echo "build/${PKG}_${VERSION}_${ARCH}.deb"
