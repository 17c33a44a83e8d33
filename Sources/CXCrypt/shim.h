#include <crypt.h>
#include <string.h>
