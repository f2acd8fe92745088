#ifndef POSTERN_TEXT_H
#define POSTERN_TEXT_H

#include <stddef.h>

/*
 * Peer text made safe to print and to put in JSON: bytes outside printable
 * ASCII become \xNN; the result is cut (ending in "...") to fit dst.
 */
void text_escape(const char *s, size_t len, char *dst, size_t dstlen);
/* Whether s[0..len) is printable ASCII (space included). */
int text_is_printable(const char *s, size_t len);

#endif
