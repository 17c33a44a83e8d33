#!/bin/sh
# Installs the built module into the PAM module directory by atomic rename.
# Refuses to replace a file that a Debian package owns (libpam-mysql ships pam_mysql.so there).
set -eu
module=$1
dir=$2
name=${3:-pam_mysql.so}
target=$dir/$name

if [ -e "$target" ] && command -v dpkg >/dev/null 2>&1; then
    owner=$(dpkg -S "$target" 2>/dev/null | cut -d: -f1 | head -n 1 || true)
    if [ -z "$owner" ]; then
        # usrmerge: dpkg may know the file under the other spelling of the directory.
        case $target in
            /usr/lib/*) alt=${target#/usr} ;;
            /lib/*) alt=/usr$target ;;
            *) alt= ;;
        esac
        [ -n "$alt" ] && owner=$(dpkg -S "$alt" 2>/dev/null | cut -d: -f1 | head -n 1 || true)
    fi
    if [ -n "$owner" ]; then
        cat >&2 <<MSG
make install: $target belongs to the Debian package '$owner'; not replacing it.
Either remove that package first:      apt-get remove $owner
or install ours under another name:    make install MODULE_NAME=pam_mysql_swift.so
                                       (and write pam_mysql_swift.so in /etc/pam.d lines)
MSG
        exit 1
    fi
fi

mkdir -p "$dir"
tmp=$dir/.$name.new.$$
install -m 0644 "$module" "$tmp"
mv -f "$tmp" "$target"
echo "installed $target"
