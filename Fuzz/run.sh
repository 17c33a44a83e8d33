#!/bin/sh
# Fuzz/run.sh TARGET SECONDS: builds the libFuzzer binary (build/fuzz/pam_mysql_fuzz, rebuilt
# only when a source is newer) and runs TARGET for SECONDS on a scratch copy of its committed
# corpus (Fuzz/corpus/TARGET stays untouched). Crash inputs land in build/fuzz/artifacts/.
# `Fuzz/run.sh build` only builds. Targets: fuzz-arguments fuzz-config fuzz-schemes fuzz-dovecot
# (PAMMySQLCore), fuzz-saslauthd fuzz-dovecot-auth (AuthDaemonCore's protocols, compiled into the
# same module: they need only PAMMySQLCore).
set -eu
cd "$(dirname "$0")/.."
TARGET=${1:?usage: Fuzz/run.sh TARGET SECONDS}
SECONDS_=${2:-60}
SWIFTC=${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}
OUT=build/fuzz
BIN=$OUT/pam_mysql_fuzz
mkdir -p "$OUT"

SOURCES=$(find Sources/PAMMySQLCore Fuzz -name '*.swift' | sort)
DAEMON_SOURCES=$(find Sources/AuthDaemonCore/Saslauthd Sources/AuthDaemonCore/Dovecot -name '*.swift' | sort)
if [ ! -x "$BIN" ] || [ -n "$(find $SOURCES $DAEMON_SOURCES Sources/COpenSSL Sources/CXCrypt Sources/CSodium Fuzz/run.sh -newer "$BIN" 2>/dev/null)" ]; then
    echo "building $BIN" >&2
    # The daemon's files import PAMMySQLCore, which is the module compiled here: copies with that
    # line blanked (line numbers kept for crash reports).
    rm -rf "$OUT/daemon-sources"
    mkdir -p "$OUT/daemon-sources"
    for f in $DAEMON_SOURCES; do sed 's/^import PAMMySQLCore$//' "$f" >"$OUT/daemon-sources/$(basename "$f")"; done
    SOURCES="$SOURCES $(find "$OUT/daemon-sources" -name '*.swift' | sort)"
    # shellcheck disable=SC2086
    "$SWIFTC" -sanitize=fuzzer,address -parse-as-library -module-name PAMMySQLCore -O -g \
        -Xfrontend -disable-implicit-concurrency-module-import \
        -Xfrontend -disable-implicit-string-processing-module-import \
        -I Sources/COpenSSL -I Sources/CXCrypt -I Sources/CSodium \
        -use-ld=lld $SOURCES -lcrypto -lcrypt -lsodium -o "$BIN.tmp"
    mv -f "$BIN.tmp" "$BIN"
fi
for t in fuzz-arguments fuzz-config fuzz-schemes fuzz-dovecot fuzz-saslauthd fuzz-dovecot-auth; do ln -sf pam_mysql_fuzz "$OUT/$t"; done
[ "$TARGET" = build ] && exit 0
[ -d "Fuzz/corpus/$TARGET" ] || { echo "no corpus Fuzz/corpus/$TARGET" >&2; exit 2; }

WORK=$OUT/work/$TARGET
rm -rf "$WORK"
mkdir -p "$WORK" "$OUT/artifacts"
cp Fuzz/corpus/"$TARGET"/* "$WORK"/
LOG=$OUT/$TARGET.log
# -timeout: the stored value's work factors are capped (bcrypt 16, SHA-crypt 1e6 rounds, …),
# which under ASan can take seconds; only a hang is a finding.
status=0
"$OUT/$TARGET" "$WORK" -max_total_time="$SECONDS_" -max_len=4096 -timeout=60 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$TARGET-" >"$LOG" 2>&1 || status=$?
# libFuzzer's last stats line (DONE when it stopped on its own), then its run count.
if grep -qE '^Done [0-9]+ runs' "$LOG"; then
    grep -E '^#[0-9]+[[:space:]]' "$LOG" | tail -n 1
    grep -E '^Done [0-9]+ runs' "$LOG"
else
    tail -n 40 "$LOG"
fi
[ "$status" -eq 0 ] || { echo "$TARGET: libFuzzer exited $status; see $LOG and $OUT/artifacts/" >&2; exit "$status"; }
