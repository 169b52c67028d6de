/* storemod.c - load a store backend module (nymstore-pg.so) with dlopen. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "die.h"
#include "store.h"
#include "storebe.h"

static void __attribute__((format(printf, 1, 2)))
host_log_err(const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	log_err("%s", b.s != NULL ? b.s : "");
	buf_free(&b);
}

static const struct store_host host = { STORE_OPS_ABI, host_log_err };

const struct store_ops *
store_module_load(const char *path, char *err, size_t errlen)
{
	static const struct store_ops *ops;
	static char loaded[4096];
	void *h;
	store_module_fn fn;

	if (ops != NULL && strcmp(loaded, path) == 0)
		return ops;
	/* RTLD_NOW: a missing symbol fails here, not in mid-transaction;
	 * the handle stays open for the life of the process. */
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "store module: %s", dlerror());
		return NULL;
	}
	*(void **)&fn = dlsym(h, STORE_MODULE_SYMBOL);
	if (fn == NULL) {
		snprintf(err, errlen, "store module %s: no %s", path,
		    STORE_MODULE_SYMBOL);
		dlclose(h);
		return NULL;
	}
	ops = fn(&host);
	if (ops == NULL || ops->abi != STORE_OPS_ABI) {
		snprintf(err, errlen, "store module %s: interface %d, not %d",
		    path, ops != NULL ? ops->abi : -1, STORE_OPS_ABI);
		ops = NULL;
		dlclose(h);
		return NULL;
	}
	snprintf(loaded, sizeof(loaded), "%s", path);
	return ops;
}
