/*
 * Reference floor for the benchmark: the cost of one SELECT round trip from a C client on an
 * open connection (the least any module must pay per login).
 * Usage: select_loop HOST PORT USER PASSWORD DB COUNT
 * Prints: SELECT_LOOP count=N seconds=S per_query_us=U
 */
#include <mariadb/mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: select_loop HOST PORT USER PASSWORD DB COUNT\n");
        return 2;
    }
    long count = strtol(argv[6], NULL, 10);
    MYSQL *db = mysql_init(NULL);
    if (!mysql_real_connect(db, argv[1], argv[3], argv[4], argv[5], (unsigned)atoi(argv[2]), NULL, 0)) {
        fprintf(stderr, "connect: %s\n", mysql_error(db));
        return 1;
    }
    const char *sql = "SELECT 0, password FROM users WHERE username = 'alice'";
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < count; i++) {
        if (mysql_real_query(db, sql, strlen(sql)) != 0) {
            fprintf(stderr, "query: %s\n", mysql_error(db));
            return 1;
        }
        MYSQL_RES *res = mysql_store_result(db);
        mysql_free_result(res);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf("SELECT_LOOP count=%ld seconds=%.6f per_query_us=%.1f\n", count, seconds, seconds * 1e6 / (double)count);
    mysql_close(db);
    return 0;
}
