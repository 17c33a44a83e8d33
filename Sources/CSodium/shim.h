/* Constants and sizes only: the library itself is opened on first use (Sodium.swift), so the
 * module does not link it and processes without Argon2 users never load it. */
#include <sodium.h>
