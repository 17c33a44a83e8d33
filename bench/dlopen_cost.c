/* Loads one PAM module the way libpam does (dlopen RTLD_NOW), for instruction counting under
 * callgrind: the load cost a process pays when it authenticates once. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    void *module = dlopen(argv[1], RTLD_NOW);
    if (!module) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    return 0;
}
