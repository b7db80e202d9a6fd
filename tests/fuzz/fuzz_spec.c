/*
 * libFuzzer target: config.json text into struct cell_spec, as `cell create`
 * reads a bundle, then validated and written back. What cell writes it must
 * read again: a round trip that fails is a finding (abort), not an input error.
 *
 * Build and run: see tests/fuzz/README.md (tests/run runs it for 60 s).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell/cell.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cell_spec spec, again;
	struct cell_error err = { 0 };
	char *text;

	/* a real config.json is kilobytes; larger inputs only slow the search down */
	if (size > 256 * 1024)
		return 0;
	if (cell_spec_from_json(&spec, (const char *)data, size, "config.json", &err) < 0)
		return 0;
	(void)cell_spec_validate(&spec, &err);
	text = cell_spec_to_json(&spec, &err);
	/* only ENOMEM fails the writer, and libFuzzer's malloc limit is far above it */
	if (!text || cell_spec_from_json(&again, text, strlen(text), "written back", &err) < 0) {
		fprintf(stderr, "fuzz_spec: round trip: %s\n%s\n", err.msg, text ? text : "");
		abort();
	}
	cell_spec_free(&again);
	free(text);
	cell_spec_free(&spec);
	return 0;
}
