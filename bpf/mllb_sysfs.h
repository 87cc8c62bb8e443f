/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading sysfs lists such as "0-27,56-83" (CPU and node masks), shared by the static loaders
 * (mllb-tracer: the CPU -> node map; mllb-schedlat: one sampler per online CPU). */
#ifndef MLLB_SYSFS_H
#define MLLB_SYSFS_H

#include <stdio.h>
#include <stdlib.h>

/* The whole (small) file as a NUL-terminated string; -1 if it cannot be opened. */
static inline int read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

/* Calls fn(lo..hi) for each range of a sysfs list; -1 on text that is not such a list. */
static inline int parse_list(const char *text, void (*fn)(int, int, void *), void *arg)
{
	const char *s = text;

	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (end == s)
			return -1;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		fn((int)lo, (int)hi, arg);
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

#endif
