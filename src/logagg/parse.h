/* parse.h — one log line → the client address, or the reason the line does not count.
 *
 * Owns nothing and allocates nothing: lg_parse_line reads [line, line+len) (no newline, no NUL
 * needed), lg_parse_next [p, end) (its fast path reads ahead of the line, never past end), and
 * both fill an lg_addr_t. Neither reads outside its bounds: they are fed binary garbage by the
 * fuzzer, in exact-size buffers.
 *
 * A request line counts (one PV) when it has the nginx/Apache common-log prefix, which is also the
 * prefix of "combined": `ADDR SP ident SP user SP [time] SP "request" SP status` (status: 3 digits).
 * Checking up to the status costs ~40 bytes of scanning per line and is what rejects the records cut
 * in two in the NASA log; what follows the status (size, referer, user agent) is not checked, so a
 * line cut inside its user agent still counts.
 */
#ifndef LG_PARSE_H
#define LG_PARSE_H

#include <stddef.h>

#include "addr.h"

typedef enum {
	LG_LINE_OK = 0,
	LG_LINE_COMMENT,   /* starts with '#': not a request, not malformed */
	LG_LINE_EMPTY,     /* empty or only blanks */
	LG_LINE_TRUNCATED, /* the address is there but the rest of the common-log prefix is not */
	LG_LINE_BAD_ADDR,  /* the client field is not an IPv4/IPv6 address */
	LG_LINE_HOSTNAME,  /* the client field is a host name (Apache HostnameLookups), not an address */
	LG_LINE_OVERLONG,  /* longer than LG_MAX_LINE: decided by the caller, never by lg_parse_line */
	LG_LINE_NREASONS
} lg_line_t;

/* Lines longer than this are counted as overlong and skipped without being parsed. */
#define LG_MAX_LINE 65536

typedef enum {
	LG_SRC_REMOTE = 0, /* field 1 ($remote_addr) + the common-log prefix check */
	LG_SRC_FIELD,      /* the Nth blank-separated field, no other check */
	LG_SRC_XFF         /* first address of the last quoted field ($http_x_forwarded_for), else field 1 */
} lg_src_t;

typedef struct {
	lg_src_t src;
	unsigned field; /* 1-based, for LG_SRC_FIELD */
} lg_parse_cfg_t;

lg_line_t lg_parse_line(const lg_parse_cfg_t *cfg, const char *line, size_t len, lg_addr_t *out);

/* The line starting at p in a buffer ending at end: sets *eol to its '\n' (or to end if it has
 * none) and returns what lg_parse_line returns for it, or LG_LINE_OVERLONG past LG_MAX_LINE.
 * The per-line entry point: for the default source, the common nginx line is parsed and its end
 * found in one pass, with SIMD where the build target has it (SSE2 on x86-64); anything unusual
 * falls back to memchr + lg_parse_line, so the result never depends on which path ran. */
lg_line_t lg_parse_next(const lg_parse_cfg_t *cfg, const char *p, const char *end, const char **eol, lg_addr_t *out);

/* Short lowercase name of a reason ("truncated", "bad address", ...), for output and JSON keys. */
const char *lg_line_reason_name(lg_line_t r);
const char *lg_line_reason_key(lg_line_t r);

#endif
