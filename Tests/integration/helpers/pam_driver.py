"""A long-lived PAM host for tests: one process, many transactions, driven over stdin.

    python3 pam_driver.py SERVICE USER PASSWORD
Each input line `login` runs pam_start, pam_authenticate, pam_acct_mgmt, pam_end and prints
`<auth code> <acct code> <seconds>`; `login USER PASSWORD` does the same for that user and
password (ASCII without spaces); EOF ends the process. The module's process-wide state
(connection pool, failed-server table) lives as long as this process, as in saslauthd.
"""
import ctypes
import sys
import time

service, user, password = (a.encode() for a in sys.argv[1:4])
pam = ctypes.CDLL("libpam.so.0")
libc = ctypes.CDLL("libc.so.6")
libc.calloc.restype = ctypes.c_void_p
libc.strdup.restype = ctypes.c_void_p
libc.strdup.argtypes = [ctypes.c_char_p]


class Message(ctypes.Structure):
    _fields_ = [("msg_style", ctypes.c_int), ("msg", ctypes.c_char_p)]


class Response(ctypes.Structure):
    _fields_ = [("resp", ctypes.c_void_p), ("resp_retcode", ctypes.c_int)]


CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.POINTER(Message)),
                        ctypes.POINTER(ctypes.POINTER(Response)), ctypes.c_void_p)


class Conv(ctypes.Structure):
    _fields_ = [("conv", CONV), ("appdata_ptr", ctypes.c_void_p)]


@CONV
def converse(n, messages, responses, _data):
    block = ctypes.cast(libc.calloc(n, ctypes.sizeof(Response)), ctypes.POINTER(Response))
    for i in range(n):
        if messages[i].contents.msg_style in (1, 2):  # PAM_PROMPT_ECHO_OFF / ON
            block[i].resp = libc.strdup(password)
    responses[0] = block
    return 0


conv = Conv(converse, None)
pam.pam_start.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(Conv), ctypes.POINTER(ctypes.c_void_p)]
pam.pam_authenticate.argtypes = [ctypes.c_void_p, ctypes.c_int]
pam.pam_acct_mgmt.argtypes = [ctypes.c_void_p, ctypes.c_int]
pam.pam_end.argtypes = [ctypes.c_void_p, ctypes.c_int]

default_user, default_password = user, password
for line in sys.stdin:
    words = line.split()
    if words == ["login"]:
        user, password = default_user, default_password
    elif len(words) == 3 and words[0] == "login":
        user, password = words[1].encode(), words[2].encode()
    else:
        continue
    handle = ctypes.c_void_p()
    start = time.monotonic()
    if pam.pam_start(service, user, ctypes.byref(conv), ctypes.byref(handle)) != 0:
        print("start-failed", flush=True)
        continue
    auth = pam.pam_authenticate(handle, 0)
    acct = pam.pam_acct_mgmt(handle, 0) if auth == 0 else -1
    pam.pam_end(handle, auth)
    print(f"{auth} {acct} {time.monotonic() - start:.3f}", flush=True)
