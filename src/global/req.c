/* req.c - the request context: program start-up, recipient splitting. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "die.h"
#include "gpg.h"
#include "outbound.h"
#include "req.h"
#include "store.h"
#include "util.h"

int
req_set_recipient(struct req *r, const char *rcpt)
{
	const char *at = strrchr(rcpt, '@'), *plus;
	size_t n = at ? (size_t)(at - rcpt) : strlen(rcpt);
	char *local;

	if (n == 0 || n > 255)
		return -1;
	local = util_lower(xstrndup(rcpt, n));
	if ((plus = strchr(local, '+')) != NULL) {
		r->ext = xstrdup(plus + 1);
		local[plus - local] = '\0';
	}
	r->local = local;
	return 0;
}

const char *
req_start(struct conf *c, const char *confpath, const char *sender)
{
	char err[512];

	if (sender == NULL && (sender = getenv("SENDER")) == NULL)
		sender = "";
	if (strcmp(sender, "<>") == 0)
		sender = "";
	if (geteuid() == 0)
		die_temp("refusing to run as root");
	if (conf_load(c, confpath, err, sizeof(err)) < 0)
		die_temp("configuration: %s", err);
	die_signals(c->timeout);
	sendmail_auto_sender(c->envelope_sender);
	if (util_crypto_init() < 0)
		die_temp("libgcrypt unusable");
	gpg_set_program(c->gpg);
	store_set_map_max(c->map_max);
	store_configure(c->store, c->store_conninfo, c->store_module);
	gpg_default_home(c->gnupghome);
	return sender;
}

void
req_read_stdin(const struct conf *c, struct buf *in)
{
	int rc = msg_read_fd(0, c->max_message_size, in);

	if (rc == MSG_IOERR)
		die_temp("read error on standard input: %s", strerror(errno));
	if (rc == MSG_TOOBIG)
		die_perm(EX_DATAERR_, "5.3.4", "message too big (limit %zu bytes)",
		    c->max_message_size);
}
