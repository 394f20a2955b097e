
/*
 * Copyright (C) sockerless contributors
 *
 * Tiny TAP helpers shared by the C unit tests: TEST_PLAN(), TEST_OK(),
 * TEST_DIAG() and TEST_DONE(). Header-only; one test program per file.
 */


#ifndef _SLS_TEST_H_INCLUDED_
#define _SLS_TEST_H_INCLUDED_


#include <stdarg.h>
#include <stdio.h>


typedef struct {
    int  planned;       /* -1: no plan yet, TEST_DONE() prints it */
    int  run;
    int  failed;
} sls_test_state_t;


static sls_test_state_t  sls_test = { -1, 0, 0 };


static inline void sls_test_plan(int n);
static inline int sls_test_ok(int ok, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void sls_test_diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline int sls_test_done(void);


/* "1..n" first; without it TEST_DONE() prints the plan at the end */
#define TEST_PLAN(n)            sls_test_plan(n)

/* one test point; the name takes printf arguments; evaluates to cond */
#define TEST_OK(cond, ...)      sls_test_ok((cond) ? 1 : 0, __VA_ARGS__)

/* a "# ..." comment line, for details of a failure */
#define TEST_DIAG(...)          sls_test_diag(__VA_ARGS__)

/* the exit status of main(): 1 on any failure or a plan mismatch */
#define TEST_DONE()             sls_test_done()


static inline void
sls_test_plan(int n)
{
    sls_test.planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}


static inline int
sls_test_ok(int ok, const char *fmt, ...)
{
    va_list  args;

    sls_test.run++;

    if (!ok) {
        sls_test.failed++;
    }

    printf("%s %d - ", ok ? "ok" : "not ok", sls_test.run);

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    printf("\n");
    fflush(stdout);

    return ok;
}


static inline void
sls_test_diag(const char *fmt, ...)
{
    va_list  args;

    printf("# ");

    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);

    printf("\n");
    fflush(stdout);
}


static inline int
sls_test_done(void)
{
    if (sls_test.planned < 0) {
        printf("1..%d\n", sls_test.run);
        sls_test.planned = sls_test.run;
    }

    if (sls_test.run != sls_test.planned) {
        printf("# planned %d tests but ran %d\n", sls_test.planned,
               sls_test.run);
        return 1;
    }

    if (sls_test.failed) {
        printf("# failed %d of %d\n", sls_test.failed, sls_test.run);
        return 1;
    }

    return 0;
}


#define TEST_NELTS(a)  (sizeof(a) / sizeof((a)[0]))


#endif /* _SLS_TEST_H_INCLUDED_ */
