#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "relayd/data.h"
#include "relayd/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The DATA stream fed in two pieces (the first byte picks the split), then
 * the header parser over what it produced. The output must never hold a
 * bare CR or LF, and must end in CRLF when not empty.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct data_dec d;
	struct msg_info mi;
	struct buf out;
	const char *why;
	size_t split, used = 0, used2 = 0;
	bool end;

	if (size < 1)
		return 0;
	split = data[0] % size;
	data++;
	size--;
	if (split > size)
		split = size;
	buf_init(&out, 0);
	data_dec_init(&d, &out, 1 << 16, 1000, size > 0 && data[0] == 'B');
	end = data_dec_feed(&d, (const char *)data, split, &used);
	if (!end)
		end = data_dec_feed(&d, (const char *)data + split,
		    size - split, &used2);
	if (d.bdat)
		data_dec_finish(&d);
	for (size_t i = 0; d.err == DATA_OK && i < out.len; i++) {
		if ((out.data[i] == '\r') !=
		    (i + 1 < out.len && out.data[i + 1] == '\n'))
			__builtin_trap();
		if (out.data[i] == '\n' && (i == 0 || out.data[i - 1] != '\r'))
			__builtin_trap();
	}
	if (d.err == DATA_OK)
		(void)msg_parse(out.data, out.len, &mi, &why);
	(void)msg_from_parse((const char *)data, size, &mi.from);
	buf_cleanup(&out);
	return 0;
}
