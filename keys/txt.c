#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/util.h"
#include "keys/keys.h"

size_t
keys_txt_split(const char *value, size_t len, char ***out)
{
	size_t n = (len + KEYS_TXT_STRING_MAX - 1) / KEYS_TXT_STRING_MAX;
	char **v;

	*out = NULL;
	if (n == 0)
		return 0;
	v = xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		size_t off = i * KEYS_TXT_STRING_MAX;
		size_t chunk = len - off < KEYS_TXT_STRING_MAX
		                   ? len - off
		                   : KEYS_TXT_STRING_MAX;

		v[i] = xstrndup(value + off, chunk);
	}
	*out = v;
	return n;
}

void
keys_txt_strings_free(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Append to an uncapped buffer, which cannot fail. */
static void
keys_put(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) == -1)
		die(1, "BUG: append to an uncapped buffer failed");
}

/* Append one character-string in zone-file quoting (RFC 1035 5.1). */
static void
keys_txt_quote(struct buf *b, const char *s, size_t len)
{
	char esc[8];

	keys_put(b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			keys_put(b, esc, 2);
		} else if (c < 0x20 || c > 0x7e) {
			snprintf(esc, sizeof(esc), "\\%03u", c);
			keys_put(b, esc, 4);
		} else {
			keys_put(b, s + i, 1);
		}
	}
	keys_put(b, "\"", 1);
}

char *
keys_txt_zone_format(const char *value, size_t len)
{
	struct buf b;
	size_t off = 0;
	char *out;

	buf_init(&b, 0);
	do {
		size_t chunk = len - off < KEYS_TXT_STRING_MAX
		                   ? len - off
		                   : KEYS_TXT_STRING_MAX;

		if (off > 0)
			keys_put(&b, " ", 1);
		keys_txt_quote(&b, value + off, chunk);
		off += chunk;
	} while (off < len);
	out = buf_steal(&b, &len);
	return out;
}

char *
keys_record_name(const char *domain, const char *selector)
{
	return xasprintf("%s._domainkey.%s", selector, domain);
}
