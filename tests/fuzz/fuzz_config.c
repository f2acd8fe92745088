/* libFuzzer target: the YAML configuration loader (common/config.c). */
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	struct buf errors;

	buf_init(&errors, 1024 * 1024);
	if (config_load_string("fuzz.yaml", (const char *)data, size, &cfg,
	        &errors) == 0)
		config_free(cfg);
	buf_cleanup(&errors);
	return 0;
}
