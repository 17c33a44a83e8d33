/*
 * Reference rows for the benchmark, the database's own limit.
 *
 *   select_loop HOST PORT USER PASSWORD DB COUNT
 *     one SELECT round trip from a C client on an open connection (the least any module must
 *     pay per login). Prints: SELECT_LOOP count=N seconds=S per_query_us=U
 *
 *   select_loop HOST PORT USER PASSWORD DB SECONDS THREADS USERNAME
 *     the login SELECT (`SELECT password FROM users WHERE username = ?`, prepared once per
 *     connection, as the daemon runs it) on THREADS connections, one thread each, for SECONDS.
 *     Prints: {"threads": T, "seconds": S, "queries": N, "rate": R, "rows": N}
 *
 * The database password is in argv here: a benchmark of a throwaway server, never a real one.
 */
#include <mariadb/mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *host, *db_user, *db_password, *db_name, *login;
static unsigned port;
static double end_time;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct worker {
    pthread_t thread;
    long queries, rows;
    int failed;
};

static void *prepared_loop(void *arg)
{
    struct worker *w = arg;
    MYSQL *db = mysql_init(NULL);
    if (!mysql_real_connect(db, host, db_user, db_password, db_name, port, NULL, 0)) {
        fprintf(stderr, "connect: %s\n", mysql_error(db));
        w->failed = 1;
        return NULL;
    }
    static const char sql[] = "SELECT password FROM users WHERE username = ?";
    MYSQL_STMT *stmt = mysql_stmt_init(db);
    if (mysql_stmt_prepare(stmt, sql, sizeof sql - 1) != 0) {
        fprintf(stderr, "prepare: %s\n", mysql_stmt_error(stmt));
        w->failed = 1;
        return NULL;
    }
    unsigned long login_length = strlen(login);
    MYSQL_BIND param = { 0 };
    param.buffer_type = MYSQL_TYPE_STRING;
    param.buffer = (void *)login;
    param.buffer_length = login_length;
    param.length = &login_length;
    mysql_stmt_bind_param(stmt, &param);
    char value[1024];
    unsigned long value_length = 0;
    MYSQL_BIND result = { 0 };
    result.buffer_type = MYSQL_TYPE_BLOB;
    result.buffer = value;
    result.buffer_length = sizeof value;
    result.length = &value_length;
    mysql_stmt_bind_result(stmt, &result);
    while (now_seconds() < end_time) {
        if (mysql_stmt_execute(stmt) != 0) {
            fprintf(stderr, "execute: %s\n", mysql_stmt_error(stmt));
            w->failed = 1;
            break;
        }
        while (mysql_stmt_fetch(stmt) == 0)
            w->rows++;
        mysql_stmt_free_result(stmt);
        w->queries++;
    }
    mysql_stmt_close(stmt);
    mysql_close(db);
    return NULL;
}

static int parallel(double seconds, int threads)
{
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    mysql_library_init(0, NULL, NULL);
    double start = now_seconds();
    end_time = start + seconds;
    for (int i = 0; i < threads; i++)
        pthread_create(&workers[i].thread, NULL, prepared_loop, &workers[i]);
    long queries = 0, rows = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(workers[i].thread, NULL);
        queries += workers[i].queries;
        rows += workers[i].rows;
        failed |= workers[i].failed;
    }
    double elapsed = now_seconds() - start;
    printf("{\"threads\": %d, \"seconds\": %.3f, \"queries\": %ld, \"rate\": %.1f, \"rows\": %ld}\n", threads, elapsed,
           queries, (double)queries / elapsed, rows);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc != 7 && argc != 9) {
        fprintf(stderr, "usage: select_loop HOST PORT USER PASSWORD DB COUNT\n"
                        "       select_loop HOST PORT USER PASSWORD DB SECONDS THREADS USERNAME\n");
        return 2;
    }
    host = argv[1];
    port = (unsigned)atoi(argv[2]);
    db_user = argv[3];
    db_password = argv[4];
    db_name = argv[5];
    if (argc == 9) {
        login = argv[8];
        int threads = atoi(argv[7]);
        if (threads < 1 || threads > 256)
            return 2;
        return parallel(atof(argv[6]), threads);
    }
    long count = strtol(argv[6], NULL, 10);
    MYSQL *db = mysql_init(NULL);
    if (!mysql_real_connect(db, host, db_user, db_password, db_name, port, NULL, 0)) {
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
