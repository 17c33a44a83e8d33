#!/usr/bin/env python3
"""Writes the seed corpora Fuzz/corpus/<target>/ from the unit tests' vectors (and those of
Tests/vectors/password_schemes.json, saslauthd_frames.json, dovecot_auth_transcripts.json) and the pam.d and
config file examples. Run once; the output is committed (regression seeds from findings are
added by hand as Fuzz/corpus/<target>/regression-*)."""
import hashlib, json, os, re, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")
MODES = ["plain", "crypt", "mysql", "md5", "sha1", "drupal7", "joomla15", "ssha", "sha512", "sha256", "dovecot"]

def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()

def literal(s):
    """A Swift string literal's body to bytes (the escapes the tests use)."""
    s = re.sub(r"\\u\{([0-9a-fA-F]+)\}", lambda m: chr(int(m.group(1), 16)), s)
    return (s.replace("\\n", "\n").replace("\\t", "\t").replace("\\r", "\r").replace("\\0", "\0")
             .replace('\\"', '"').replace("\\\\", "\\")).encode("utf-8", "surrogateescape")

def write(target, items):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    for data in dict.fromkeys(items):
        name = "seed-" + hashlib.sha1(data).hexdigest()[:12]
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)

# fuzz-arguments: pam.d lines from the examples, the tests' arguments, one per option.
args = []
for line in read("pam.d-examples/smtp").splitlines() + read("pam.d-examples/smtp-config-file").splitlines():
    words = line.split()
    if len(words) > 2 and not line.startswith("#"):
        args.append("\0".join(w.strip("[]") for w in words[2:]).encode())
tests = read("Tests/PAMMySQLCoreTests/ArgumentParserTests.swift")
for m in re.findall(r'"((?:[^"\\]|\\.)*)"', tests):
    if "=" in m or m in ("use_first_pass", "verbose", "nullok", "debug", "try_first_pass"):
        if "\\(" not in m:
            args.append(literal(m))
for option in ["user", "passwd", "host", "db", "table", "usercolumn", "passwdcolumn", "statcolumn",
               "crypt", "md5", "sqllog", "logtable", "logmsgcolumn", "logusercolumn", "logpidcolumn",
               "loghostcolumn", "logrhostcolumn", "logtimecolumn", "config_file", "where", "verbose",
               "use_323_passwd", "connect_timeout", "disconnect_every_op", "use_first_pass",
               "try_first_pass", "default_pass_scheme", "allow_weak_schemes", "crypt_method", "query"]:
    args.append(f"{option}=x".encode())
args += [b"host=db1:3306,db2,/run/mysqld/mysqld.sock", b"crypt=dovecot\0default_pass_scheme=SHA512-CRYPT",
         b"config_file=/etc/pam-mysql.conf\0verbose=1", b"\0\0", b"[where=a=b]", b"[statcolumn=IF(a,0,1)"]
write("fuzz-arguments", args)

# fuzz-config: the example file, each of its lines, syntax variations.
conf = read("pam.d-examples/pam-mysql.conf").encode()
configs = [conf, conf.replace(b"\n", b"\r\n"), conf.replace(b"\n", b"\r"), conf.rstrip(b"\n")]
configs += [l + b"\n" for l in conf.splitlines() if l and not l.startswith(b"#")]
configs += [b"users.host = a ; \n", b"users.host=a;junk\n", b"  # not a comment = x\n", b"=\n", b"key\n",
            b"users.password_crypt = dovecot\nusers.default_pass_scheme = SHA512-CRYPT\n", b"verbose = 1\nusers.host = x\n",
            b"users.db_passwd = a\tb  \n", b"\xff\xfe = \x00\n"]
tests = read("Tests/PAMMySQLCoreTests/ConfigFileTests.swift")
for m in re.findall(r'"((?:[^"\\]|\\.)*)"', tests):
    if "=" in m and "\\(" not in m:
        configs.append(literal(m))
write("fuzz-config", configs)

# fuzz-schemes: byte 0 = mode (+0x10 use_323, +0x20 allow_weak), then password NUL stored.
schemes = []
vectors = json.loads(read("Tests/vectors/password_schemes.json"))
for v in vectors["pam_mysql"]:
    flag = 0x10 if v.get("use_323_passwd") else 0
    schemes.append(bytes([v["crypt"] | flag]) + v["password"].encode() + b"\0" + v["stored"].encode())
t = read("Tests/PAMMySQLCoreTests/MalformedStoredValueTests.swift")
for mode, stored in re.findall(r'check\(\.(\w+), Array\("((?:[^"\\]|\\.)*)"\.utf8\)', t):
    schemes.append(bytes([MODES.index(mode)]) + b"secret\0" + literal(stored))
for mode, stored in re.findall(r'\(\.(\w+), "((?:[^"\\]|\\.)*)"\)', t):
    schemes.append(bytes([MODES.index(mode)]) + b"secret\0" + literal(stored))
for i in range(len(MODES)):
    schemes += [bytes([i]), bytes([i]) + b"secret\0", bytes([i]) + b"\0abc"]
write("fuzz-schemes", schemes)

# fuzz-dovecot: byte 0 flags (1 = allow_weak_schemes), password NUL stored NUL user NUL default scheme.
dovecot = []
for v in vectors["dovecot"]:
    dovecot.append(b"\x01" + v["password"].encode() + b"\0" + v["stored"].encode() + b"\0" + v.get("user", "user").encode())
for name in ["DovecotSchemeVectorTests", "DovecotWeakSchemeTests", "DovecotMalformedValueTests", "DovecotMD4Tests"]:
    t = read(f"Tests/PAMMySQLCoreTests/{name}.swift")
    for stored, password, rest in re.findall(r'Vector\("((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"([^)]*)\)', t):
        user = re.search(r'user: "([^"]*)"', rest)
        dovecot.append(b"\x01" + literal(password) + b"\0" + literal(stored) + b"\0" + (user.group(1).encode() if user else b"user"))
    for stored in re.findall(r'"(\{[A-Z0-9.-]+\}(?:[^"\\]|\\.)*)"', t):
        dovecot.append(b"\x00test\0" + literal(stored))
t = read("Tests/PAMMySQLCoreTests/DovecotQueryTests.swift")
for q in re.findall(r'"((?:[^"\\]|\\.)*%(?:[^"\\]|\\.)*)"', t):
    dovecot.append(b"\x00test\0" + literal(q))
dovecot += [b"\x00test\0$6$saltsalt$abc\0u\0SHA512-CRYPT", b"\x00test\0abc\0u\0PLAIN", b"\x00test\0{PLAIN.b64}dGVzdA==",
            b"\x00test\0{SHA1.HEX}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3", b"\x00test\0{", b"\x00test\0{}"]
write("fuzz-dovecot", dovecot)
# fuzz-saslauthd: byte 0 the field limit (0 = 256, 1 = 1, 2 = 16, 3 = 1024), then the request bytes
# of every frame of Tests/vectors/saslauthd_frames.json.
limits = {256: 0, 1: 1, 16: 2, 1024: 3}
frames = json.loads(read("Tests/vectors/saslauthd_frames.json"))["frames"]
write("fuzz-saslauthd", [bytes([limits.get(f.get("limit", 256), 0)]) + bytes.fromhex(f["hex"]) for f in frames])

# fuzz-dovecot-auth: byte 0 the session flags (0x01 require secured, 0x02 two in flight, 0x04 PLAIN
# only, 0x08 5 s expiry), then the client lines of each transcript of
# Tests/vectors/dovecot_auth_transcripts.json (VERSION and CPID first, as the tests do).
sessions = []
for t in json.loads(read("Tests/vectors/dovecot_auth_transcripts.json"))["transcripts"]:
    config = t.get("config", {})
    flags = ((1 if config.get("requireSecuredForPlaintext") else 0) | (2 if config.get("maximumRequestsInFlight") else 0)
             | (4 if config.get("mechanisms") == ["PLAIN"] else 0) | (8 if config.get("requestExpirySeconds") else 0))
    lines = [s["client"] for s in t["steps"] if "client" in s]
    sessions.append(bytes([flags]) + "".join(l + "\n" for l in lines).encode("utf-8", "surrogateescape"))
    sessions.append(bytes([flags]) + "".join(l + "\r\n" for l in lines).encode("utf-8", "surrogateescape"))
write("fuzz-dovecot-auth", sessions)

for target in sorted(os.listdir(CORPUS)):
    print(target, len(os.listdir(os.path.join(CORPUS, target))), file=sys.stderr)
