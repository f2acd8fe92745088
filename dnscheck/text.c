#include <stdio.h>
#include <string.h>

#include "dnscheck/text.h"

void
text_escape(const char *s, size_t len, char *dst, size_t dstlen)
{
	size_t o = 0;

	if (dstlen == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		size_t need = (ch < 0x20 || ch > 0x7e) ? 4 : 1;

		if (o + need + 4 > dstlen) {
			if (dstlen >= 4) {
				o = o + 4 > dstlen ? dstlen - 4 : o;
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 4)
			snprintf(dst + o, 5, "\\x%02x", ch);
		else
			dst[o] = (char)ch;
		o += need;
	}
	dst[o < dstlen ? o : dstlen - 1] = '\0';
}

int
text_is_printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}
