/* baseline.c — the straightforward C aggregator logagg is measured against: one thread, read() into
 * a 1 MiB buffer, the first blank-separated field of each line as the client (text, not parsed, so
 * "::ffff:1.2.3.4" and "1.2.3.4" are two clients), an open-addressing table of 48-byte text keys.
 * No validation, no normalisation, no memory bound: what one writes in an afternoon.
 *
 * usage: baseline FILE   → prints "PV: n" and "UV: n"
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEYLEN 47

typedef struct {
	uint8_t len; /* 0: empty */
	char key[KEYLEN];
	uint64_t count;
} slot_t;

static slot_t *tab;
static size_t mask = (1 << 16) - 1, used;

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 0x100000001b3ULL;
	return h;
}

static void insert(const char *k, size_t n, uint64_t c)
{
	size_t j = fnv1a(k, n) & mask;
	while (tab[j].len && (tab[j].len != n || memcmp(tab[j].key, k, n)))
		j = (j + 1) & mask;
	if (tab[j].len) {
		tab[j].count += c;
		return;
	}
	tab[j].len = (uint8_t)n;
	memcpy(tab[j].key, k, n);
	tab[j].count = c;
	if (++used * 4 > (mask + 1) * 3) {
		slot_t *old = tab;
		size_t oldn = mask + 1;
		mask = mask * 2 + 1;
		tab = calloc(mask + 1, sizeof *tab);
		used = 0;
		for (size_t i = 0; i < oldn; i++)
			if (old[i].len)
				insert(old[i].key, old[i].len, old[i].count);
		free(old);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: baseline FILE\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	tab = calloc(mask + 1, sizeof *tab);
	static char buf[(1 << 20) + 4096];
	size_t have = 0;
	uint64_t pv = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - have);
		if (n < 0) {
			perror(argv[1]);
			return 1;
		}
		size_t len = have + (size_t)n;
		char *p = buf, *end = buf + len;
		for (;;) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl) {
				if (n == 0 && p < end)
					nl = end; /* last line without '\n' */
				else
					break;
			}
			char *sp = memchr(p, ' ', (size_t)(nl - p));
			size_t k = sp ? (size_t)(sp - p) : 0;
			if (k > 0 && k <= KEYLEN) {
				insert(p, k, 1);
				pv++;
			}
			p = nl + 1;
			if (p > end)
				p = end;
		}
		have = (size_t)(end - p);
		if (have == sizeof buf) /* an overlong line: drop it */
			have = 0;
		memmove(buf, p, have);
		if (n == 0)
			break;
	}
	printf("PV: %llu\nUV: %zu\n", (unsigned long long)pv, used);
	return 0;
}
