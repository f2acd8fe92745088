/*
 * libFuzzer target: the SPF and DMARC merges (provision/spf_merge.c,
 * dmarc_merge.c) over TXT values read from DNS or a provider's API. The
 * input is split at newlines into the values. Invariants: a merge that is
 * not refused yields a record; a refused one yields none and a reason.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/config.h"
#include "provision/merge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct merge_result *r)
{
	if (r->status == MERGE_REFUSED && (r->record != NULL || !r->reason[0]))
		abort();
	if (r->status != MERGE_REFUSED && r->record == NULL)
		abort();
}

static size_t
split(char *text, const char **values, size_t max)
{
	size_t n = 0;
	char *p = text, *nl;

	while (n < max) {
		values[n++] = p;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char incl0[] = "spf.protection.outlook.com", all[] = "-all",
	            rua[] = "mailto:dmarc@example.com";
	static char *incl[] = { incl0 };
	struct spf_cfg spf = { { incl, 1 }, all };
	struct dmarc_cfg dm = { DMARC_POLICY_QUARANTINE, DMARC_POLICY_UNSET,
		101, DMARC_ALIGN_UNSET, DMARC_ALIGN_UNSET, rua, NULL };
	struct ipaddr ips[2];
	bool passes[2] = { false, true };
	const char *values[16];
	struct merge_result r;
	struct spf_merge_in in;
	char *text;
	size_t n;

	if (ip_parse("192.0.2.25", &ips[0]) != 0 ||
	    ip_parse("2001:db8::25", &ips[1]) != 0)
		abort();
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	n = split(text, values, 16);
	in = (struct spf_merge_in){ values, n, ips, 2, passes, &spf };
	memset(&r, 0, sizeof(r));
	spf_merge(&in, &r);
	check(&r);
	merge_result_cleanup(&r);
	memset(&r, 0, sizeof(r));
	dmarc_merge(values, n, &dm, &r);
	check(&r);
	merge_result_cleanup(&r);
	free(text);
	return 0;
}
