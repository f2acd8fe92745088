#include <stdlib.h>

#include "dnscheck/report.h"
#include "keys/keys.h"

/* The local key through keys/: arg is the state directory. */
char *
report_local_key_keys(void *arg, const char *domain, const char *selector,
    struct err *e)
{
	const char *state_dir = arg;
	struct dkim_key *k = keys_load(state_dir, domain, selector, e);
	char *b64;

	if (k == NULL)
		return NULL;
	b64 = keys_public_b64(k);
	keys_free(k);
	if (b64 == NULL)
		err_set(e, "cannot encode the public key of %s/%s", domain,
		    selector);
	return b64;
}
