#ifndef POSTERN_DMARC_H
#define POSTERN_DMARC_H

#include <stddef.h>

/*
 * Parse and validate a DMARC record's text (RFC 7489 6.3); -1 with the
 * reason in why ("p=maybe is not valid").
 */
int dmarc_record_check(const char *p, size_t len, char *why, size_t whylen);

#endif
