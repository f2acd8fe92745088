#ifndef POSTERN_DKIM_RECORD_H
#define POSTERN_DKIM_RECORD_H

#include <stddef.h>

#include "dnscheck/report.h"

/*
 * Judge a DKIM key record's text (RFC 6376 3.6.1, RFC 8463): syntax, v=,
 * k=, revoked (empty p=), h= and s= restrictions, key size (RSA below
 * 1024 fails, below 2048 warns), t=y, and, when local_b64 is not NULL,
 * whether p= equals it. The reason goes to detail.
 */
enum check_status dkim_record_check(const char *p, size_t len,
    const char *local_b64, char *detail, size_t detaillen);

#endif
