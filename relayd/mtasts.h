#ifndef POSTERN_MTASTS_H
#define POSTERN_MTASTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* MTA-STS (RFC 8461): the TXT record and the policy file, parsed. */

#define MTASTS_POLICY_MAX 65536

enum mtasts_mode { MTASTS_NONE, MTASTS_TESTING, MTASTS_ENFORCE };

struct mtasts_policy {
	enum mtasts_mode mode;
	uint64_t max_age;
	char **mx; /* patterns: "mail.example.com" or "*.example.net" */
	size_t nmx;
};

/* Parse "v=STSv1; id=...;" (RFC 8461 3.1); copies the id into id. */
int mtasts_txt_parse(const char *p, size_t len, char *id, size_t idlen,
    struct err *e) WUR;
/* Parse a policy file (RFC 8461 3.2); out is cleaned up by the caller. */
int mtasts_policy_parse(const char *p, size_t len, struct mtasts_policy *out,
    struct err *e) WUR;
void mtasts_policy_cleanup(struct mtasts_policy *pol);
/* Whether host (an MX name) matches one of the policy's mx patterns. */
bool mtasts_mx_matches(const struct mtasts_policy *pol, const char *host);

#endif
