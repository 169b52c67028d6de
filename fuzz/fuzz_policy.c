/* fuzz_policy.c - libFuzzer harness for the policy request framing,
 * parser and decision (no state: every name is unknown, no DNS). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
none_known(void *arg, const char *name)
{
	(void)arg;
	return name[0] == 'a';	/* some names known, some not */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy *p;
	struct policy_scan sc = { 0, 0, 0 };
	struct policy_session ss = { 0, 0, 0 };
	struct policy_req req;
	struct buf out = BUF_INIT;
	const char *s = (const char *)data;
	size_t off = 0, reqlen, step;
	double now = 0;

	if (p == NULL) {
		struct policy_settings set;

		memset(&set, 0, sizeof(set));
		set.hostname = "nym.test";
		set.half_life = 10;
		set.sender_limit = 3;
		set.host_limit = 5;
		set.max_rcpts = 5;
		set.table_size = 64;	/* small: eviction gets exercised */
		p = policy_new(&set, none_known, NULL, NULL);
		if (p == NULL)
			__builtin_trap();
	}
	policy_req_init(&req);
	/* Feed the input in growing pieces as a connection would. */
	for (step = 1; off < size; step = step * 2 + 1) {
		size_t len = size - off < step ? size - off : step;
		int rc = policy_scan(&sc, s + off, len, &reqlen);

		if (rc == POLICY_MORE) {
			if (len == size - off)
				break;
			continue;
		}
		if (rc < 0)
			break;
		if (reqlen == 0 || reqlen > len)
			__builtin_trap();
		if (policy_parse(&req, s + off, reqlen) == 0)
			policy_decide(p, &ss, &req, now, &out);
		else
			policy_error_action(p, &out);
		if (out.len < 9 || memcmp(out.s, "action=", 7) != 0 ||
		    memcmp(out.s + out.len - 2, "\n\n", 2) != 0 ||
		    memchr(out.s, '\n', out.len) != out.s + out.len - 2)
			__builtin_trap();
		buf_reset(&out);
		off += reqlen;
		memset(&sc, 0, sizeof(sc));
		step = 0;
		now += 0.5;
	}
	policy_req_free(&req);
	buf_free(&out);
	return 0;
}
