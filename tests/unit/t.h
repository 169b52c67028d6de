/* t.h - a tiny assertion helper for the C unit tests (TAP-like lines). */
#ifndef NYM_T_H
#define NYM_T_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

static int t_failed;

static void __attribute__((format(printf, 4, 5)))
t_check(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		printf(" (%s:%d)", file, line);
		t_failed++;
	}
	putchar('\n');
}

#define T(cond, ...) t_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define T_STR(a, b, ...) t_check((a) != NULL && (b) != NULL && \
    strcmp((a), (b)) == 0, __FILE__, __LINE__, __VA_ARGS__)
#define T_END() return t_failed ? 1 : 0

/* A fixture from tests/data/pgp/ (made by its make.sh), or exit 1. */
static inline void
t_pgp_fixture(const char *name, struct buf *b)
{
	struct buf path = BUF_INIT;

	buf_addf(&path, "tests/data/pgp/%s", name);
	if (util_read_file(path.s, 1 << 20, b) < 0) {
		printf("not ok - cannot read %s\n", path.s);
		exit(1);
	}
	buf_free(&path);
}

#endif
