#include <crypt.h>
#include <string.h>
#include <sys/random.h>
