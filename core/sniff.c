#include "sniff.h"

#include <string.h>

const char *inf_sniff_note(const char *d, size_t len)
{
#define SIG(magic, name) { magic, sizeof magic - 1, "; the object starts as " name \
	" data does: inflight reads JSON text, not compressed or binary objects" }
	static const struct {
		const char *magic;
		size_t len;
		const char *note;
	} sig[] = {
		SIG("\x1f\x8b", "gzip"), SIG("\x28\xb5\x2f\xfd", "zstd"),
		SIG("BZh", "bzip2"), SIG("\xfd" "7zXZ", "xz"),
		SIG("PK\x03\x04", "zip"), SIG("PAR1", "Parquet"),
	};
#undef SIG

	for (size_t i = 0; i < sizeof sig / sizeof *sig; i++)
		if (len >= sig[i].len && !memcmp(d, sig[i].magic, sig[i].len))
			return sig[i].note;
	return "";
}
