/*
 * tests/clock-skew.c - an LD_PRELOAD library that moves one program's
 * wall clock: time() and clock_gettime(CLOCK_REALTIME*) answer the real
 * time plus NYM_CLOCK_SKEW seconds (a signed decimal; unset: no change).
 * The monotonic clocks are left alone.  A test that needs a program to
 * run "after" a real moment (a key's expiry) runs it with the skew, as
 * gpg --faked-system-time does for gpg, instead of waiting:
 *   cc -shared -fPIC -o skew.so tests/clock-skew.c -ldl
 *   env LD_PRELOAD=$PWD/skew.so NYM_CLOCK_SKEW=86400 PROGRAM ...
 * Under ASan add ASAN_OPTIONS=verify_asan_link_order=0 (the runtime is
 * then not first in the list).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static int (*real_gettime)(clockid_t, struct timespec *);

static long
skew(void)
{
	static int read;
	static long s;

	if (!read) {
		const char *v = getenv("NYM_CLOCK_SKEW");

		s = v != NULL ? strtol(v, NULL, 10) : 0;
		read = 1;
	}
	return s;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc;

	if (real_gettime == NULL)
		real_gettime = (int (*)(clockid_t, struct timespec *))
		    dlsym(RTLD_NEXT, "clock_gettime");
	rc = real_gettime(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += skew();
	return rc;
}

time_t
time(time_t *t)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return (time_t)-1;
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
