/* SPDX-License-Identifier: GPL-2.0-only */
/* The one JSON helper the static loaders (mllb-tracer, mllb-schedlat) share: their summaries
 * are small hand-written objects, and a kernel release or an error text must stay valid JSON. */
#ifndef MLLB_JSON_H
#define MLLB_JSON_H

#include <stdio.h>

/* `s` as a JSON string: quotes and backslashes escaped, control characters dropped. */
static inline void json_string(FILE *to, const char *s)
{
	fputc('"', to);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', to);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, to);
	}
	fputc('"', to);
}

#endif
