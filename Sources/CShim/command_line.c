/*
 * CommandLine.arguments for the Swift runtime linked into the module, without the runtime's own
 * start-up scan.
 *
 * The static runtime's CommandLine.cpp finds argv with a constructor that reads /proc/self/maps
 * line by line (sscanf per line: about 0.23 M instructions and a file open at every dlopen,
 * which every process that authenticates once pays; see BENCHMARKS.md). The archive member is
 * only linked to resolve these two functions, so defining them here keeps it, and its
 * constructor, out of the .so. glibc passes (argc, argv, envp) to the constructors of an object
 * it dlopens as well, so the same arguments come for free. The module itself never reads
 * CommandLine.arguments; these only keep the runtime's contract. Should a later runtime define
 * more in that member, the link fails with a duplicate symbol rather than misbehaving.
 */
#include <stddef.h>

static char **captured_argv;
static int captured_argc;
static char **override_argv;
static int override_argc;

__attribute__((constructor)) static void pam_mysql_capture_arguments(int argc, char **argv, char **envp)
{
    (void)envp;
    captured_argc = argv != NULL ? argc : 0;
    captured_argv = argv;
}

/* Called by the runtime for CommandLine.unsafeArgv overrides (never by the module). */
void _swift_stdlib_overrideUnsafeArgvArgc(char **argv, int argc)
{
    override_argv = argv;
    override_argc = argc;
}

char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen)
{
    static char *empty[] = { NULL };
    if (override_argv != NULL) {
        *outArgLen = override_argc;
        return override_argv;
    }
    if (captured_argv != NULL) {
        *outArgLen = captured_argc;
        return captured_argv;
    }
    *outArgLen = 0;
    return empty;
}
