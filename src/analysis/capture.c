/* capture.c — see capture.h. Reads a capture flush by flush: each flush is first framed (record
 * headers only, up to its FLUSH) and CRC-checked, then its records are decoded and applied in order.
 * Nothing of a flush is applied before its CRC matched, and since any error refuses the whole file,
 * the state after the loop is the state as of the last FLUSH. Offsets in messages are absolute.
 *
 * Strictness beyond the letter of FORMAT.md, all because a version-1 writer cannot produce them:
 * known records must be consumed exactly (no trailing bytes), END.flags may only have bit 0, NOTE
 * levels are 1 or 2, after END only optional records and the closing FLUSH may follow, and nothing
 * after that. Not checked: META written once, PEAK entries summing to peak_bytes, node uniqueness
 * (reports do not depend on them).
 */
#include "analysis/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/capfmt.h"
#include "core/crc32.h"
#include "core/varint.h"

/* ---- Loader state ---- */

typedef struct {
	const uint8_t *d;
	size_t n;
	ml_capture_t *cap;
	size_t cap_strings, cap_nodes, cap_ticks, cap_notes, cap_meta, cap_marks; /* allocated elements */
	int seen_end;
	const char *until_mark; /* stop after the flush holding the first mark with this label */
	int at_mark;            /* ... which has been applied */
	char *err;
	size_t errlen;
} loader_t;

/* A cursor over one record's payload. */
typedef struct {
	loader_t *ld;
	size_t pos, end;   /* payload [pos, end) */
	size_t rec_start;  /* offset of the type byte */
	uint8_t type;
} rec_t;

static const char *const rec_names[] = {
	[ML_REC_META] = "META",   [ML_REC_STRING] = "STRING", [ML_REC_NODE] = "NODE",
	[ML_REC_TICK] = "TICK",   [ML_REC_STACKS] = "STACKS", [ML_REC_PEAK] = "PEAK",
	[ML_REC_END] = "END",     [ML_REC_FLUSH] = "FLUSH",   [ML_REC_NOTE] = "NOTE",
	[ML_REC_MARK] = "MARK",
};

static const char *rec_name(uint8_t type)
{
	if (type < sizeof rec_names / sizeof rec_names[0] && rec_names[type])
		return rec_names[type];
	return "optional";
}

/* "a STACKS", "an END": for "inside a ... record" */
static const char *article(uint8_t type)
{
	return strchr("AEIOUo", rec_name(type)[0]) ? "an" : "a";
}

static int fail(loader_t *ld, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(loader_t *ld, int code, const char *fmt, ...)
{
	if (ld->err && ld->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ld->err, ld->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Grows *p to hold at least need elements of size elem; doubling, overflow-checked. */
static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 16;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -1;
		n *= 2;
	}
	if (n > SIZE_MAX / elem)
		return -1;
	void *q = realloc(*p, n * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

/* ---- Decoding ---- */

/* Reads a varint at d[*pos] bounded by end. Returns 0, or -1 if truncated (runs into end), -2 if
 * malformed (longer than 10 bytes or more than 64 bits). */
static int get_varint(const uint8_t *d, size_t *pos, size_t end, uint64_t *v)
{
	size_t k = ml_varint_get(d + *pos, d + end, v);
	if (k) {
		*pos += k;
		return 0;
	}
	for (size_t i = *pos; i < end && i - *pos < ML_VARINT_MAX; i++)
		if (!(d[i] & 0x80))
			return -2;
	return end - *pos < ML_VARINT_MAX ? -1 : -2;
}

static int rec_u64(rec_t *r, const char *what, uint64_t *v)
{
	size_t at = r->pos;
	int rc = get_varint(r->ld->d, &r->pos, r->end, v);
	if (rc == -1)
		return fail(r->ld, ML_CAP_EFIELD, "%s record at byte %zu ends at byte %zu inside its %s field",
			    rec_name(r->type), r->rec_start, r->end, what);
	if (rc == -2)
		return fail(r->ld, ML_CAP_EFIELD, "malformed varint at byte %zu (the %s field of a %s record at byte %zu)",
			    at, what, rec_name(r->type), r->rec_start);
	return 0;
}

/* A str field: varint length then bytes, copied into *out (NUL-terminated). */
static int rec_str(rec_t *r, const char *what, ml_cap_str_t *out)
{
	uint64_t len;
	int rc = rec_u64(r, what, &len);
	if (rc)
		return rc;
	if (len > r->end - r->pos)
		return fail(r->ld, ML_CAP_EFIELD, "%s record at byte %zu: %s length %llu exceeds the %zu bytes left in the record",
			    rec_name(r->type), r->rec_start, what, (unsigned long long)len, r->end - r->pos);
	char *s = malloc((size_t)len + 1);
	if (!s)
		return fail(r->ld, ML_CAP_ENOMEM, "out of memory");
	memcpy(s, r->ld->d + r->pos, (size_t)len);
	s[len] = '\0';
	out->s = s;
	out->len = (size_t)len;
	r->pos += (size_t)len;
	return 0;
}

static int rec_done(rec_t *r)
{
	if (r->pos != r->end)
		return fail(r->ld, ML_CAP_EFIELD, "%s record at byte %zu: %zu unexpected bytes at byte %zu (expected the end of the record)",
			    rec_name(r->type), r->rec_start, r->end - r->pos, r->pos);
	return 0;
}

/* Checks that count entries of at least min_bytes each can fit in what is left of the record. */
static int rec_count(rec_t *r, uint64_t count, size_t min_bytes)
{
	if (count > (r->end - r->pos) / min_bytes)
		return fail(r->ld, ML_CAP_EFIELD, "%s record at byte %zu: count %llu does not fit in the %zu bytes left in the record",
			    rec_name(r->type), r->rec_start, (unsigned long long)count, r->end - r->pos);
	return 0;
}

static int check_string_id(rec_t *r, const char *what, uint64_t id, uint32_t *out)
{
	if (id >= r->ld->cap->n_strings)
		return fail(r->ld, ML_CAP_EFIELD, "%s record at byte %zu: %s string id %llu, but only %zu strings are defined so far",
			    rec_name(r->type), r->rec_start, what, (unsigned long long)id, r->ld->cap->n_strings - 1);
	*out = (uint32_t)id;
	return 0;
}

/* Reads a count of (dstack, ...) entries: returns the next stack id, validated against the nodes. */
static int next_stack(rec_t *r, uint64_t i, uint64_t *stack)
{
	uint64_t d;
	int rc = rec_u64(r, "dstack", &d);
	if (rc)
		return rc;
	uint64_t max = r->ld->cap->n_nodes - 1;
	if (i > 0 && d == 0)
		return fail(r->ld, ML_CAP_EFIELD, "%s record at byte %zu: entry %llu repeats stack %llu (expected strictly increasing ids)",
			    rec_name(r->type), r->rec_start, (unsigned long long)i, (unsigned long long)*stack);
	if (d > max - (i ? *stack : 0))
		return fail(r->ld, ML_CAP_EFIELD, "%s record at byte %zu: stack id beyond the %llu nodes defined so far",
			    rec_name(r->type), r->rec_start, (unsigned long long)max);
	*stack = (i ? *stack : 0) + d;
	return 0;
}

/* ---- Records ---- */

static int apply_meta(rec_t *r)
{
	ml_capture_t *cap = r->ld->cap;
	uint64_t count;
	int rc = rec_u64(r, "count", &count);
	if (rc || (rc = rec_count(r, count, 2)))
		return rc;
	if (grow((void **)&cap->meta, &r->ld->cap_meta, cap->n_meta + (size_t)count, sizeof *cap->meta))
		return fail(r->ld, ML_CAP_ENOMEM, "out of memory");
	for (uint64_t i = 0; i < count; i++) {
		ml_cap_meta_t *m = &cap->meta[cap->n_meta];
		if ((rc = rec_str(r, "key", &m->key)))
			return rc;
		if ((rc = rec_str(r, "value", &m->value))) {
			free((char *)m->key.s);
			return rc;
		}
		cap->n_meta++;
	}
	return rec_done(r);
}

static int apply_string(rec_t *r)
{
	ml_capture_t *cap = r->ld->cap;
	if (cap->n_strings >= UINT32_MAX)
		return fail(r->ld, ML_CAP_EFIELD, "STRING record at byte %zu: more than 2^32 strings", r->rec_start);
	if (grow((void **)&cap->strings, &r->ld->cap_strings, cap->n_strings + 1, sizeof *cap->strings))
		return fail(r->ld, ML_CAP_ENOMEM, "out of memory");
	size_t len = r->end - r->pos;
	char *s = malloc(len + 1);
	if (!s)
		return fail(r->ld, ML_CAP_ENOMEM, "out of memory");
	memcpy(s, r->ld->d + r->pos, len);
	s[len] = '\0';
	cap->strings[cap->n_strings++] = (ml_cap_str_t){s, len};
	return 0;
}

static int apply_node(rec_t *r)
{
	ml_capture_t *cap = r->ld->cap;
	uint64_t parent, function, file, line;
	int rc;
	if ((rc = rec_u64(r, "parent", &parent)) || (rc = rec_u64(r, "function", &function)) ||
	    (rc = rec_u64(r, "file", &file)) || (rc = rec_u64(r, "line", &line)) || (rc = rec_done(r)))
		return rc;
	if (cap->n_nodes >= UINT32_MAX)
		return fail(r->ld, ML_CAP_EFIELD, "NODE record at byte %zu: more than 2^32 nodes", r->rec_start);
	ml_cap_node_t node = {.line = line};
	if (parent >= cap->n_nodes)
		return fail(r->ld, ML_CAP_EFIELD, "NODE record at byte %zu: parent %llu is not below the node's own id %zu",
			    r->rec_start, (unsigned long long)parent, cap->n_nodes);
	node.parent = (uint32_t)parent;
	if ((rc = check_string_id(r, "function", function, &node.function)) ||
	    (rc = check_string_id(r, "file", file, &node.file)))
		return rc;
	size_t had = r->ld->cap_nodes;
	if (grow((void **)&cap->nodes, &r->ld->cap_nodes, cap->n_nodes + 1, sizeof *cap->nodes))
		return fail(r->ld, ML_CAP_ENOMEM, "out of memory");
	if (had != r->ld->cap_nodes) {
		/* stacks[] has one entry per node; it grows in step with nodes[] */
		ml_cap_stack_t *s = realloc(cap->stacks, r->ld->cap_nodes * sizeof *s);
		if (!s)
			return fail(r->ld, ML_CAP_ENOMEM, "out of memory");
		cap->stacks = s;
	}
	cap->nodes[cap->n_nodes] = node;
	memset(&cap->stacks[cap->n_nodes], 0, sizeof *cap->stacks);
	cap->n_nodes++;
	return 0;
}

static int apply_tick(rec_t *r)
{
	ml_capture_t *cap = r->ld->cap;
	ml_cap_tick_t t;
	int rc;
	if ((rc = rec_u64(r, "t", &t.t)) || (rc = rec_u64(r, "heap", &t.heap)) ||
	    (rc = rec_u64(r, "blocks", &t.blocks)) || (rc = rec_u64(r, "peak", &t.peak)) ||
	    (rc = rec_u64(r, "allocated", &t.allocated)) || (rc = rec_u64(r, "rss", &t.rss)) ||
	    (rc = rec_u64(r, "rss_file", &t.rss_file)) || (rc = rec_done(r)))
		return rc;
	if (grow((void **)&cap->ticks, &r->ld->cap_ticks, cap->n_ticks + 1, sizeof *cap->ticks))
		return fail(r->ld, ML_CAP_ENOMEM, "out of memory");
	cap->ticks[cap->n_ticks++] = t;
	return 0;
}

static int apply_stacks(rec_t *r)
{
	ml_capture_t *cap = r->ld->cap;
	uint64_t count, stack = 0;
	int rc = rec_u64(r, "count", &count);
	if (rc || (rc = rec_count(r, count, 5)))
		return rc;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t v[4];
		if ((rc = next_stack(r, i, &stack)) || (rc = rec_u64(r, "live_bytes", &v[0])) ||
		    (rc = rec_u64(r, "live_blocks", &v[1])) || (rc = rec_u64(r, "alloc_bytes", &v[2])) ||
		    (rc = rec_u64(r, "alloc_blocks", &v[3])))
			return rc;
		ml_cap_stack_t *s = &cap->stacks[stack];
		s->live_bytes = v[0];
		s->live_blocks = v[1];
		s->alloc_bytes = v[2];
		s->alloc_blocks = v[3];
	}
	return rec_done(r);
}

static int apply_peak(rec_t *r)
{
	ml_capture_t *cap = r->ld->cap;
	uint64_t t, bytes, blocks, count, stack = 0;
	int rc;
	if ((rc = rec_u64(r, "t", &t)) || (rc = rec_u64(r, "peak_bytes", &bytes)) ||
	    (rc = rec_u64(r, "peak_blocks", &blocks)) || (rc = rec_u64(r, "count", &count)) ||
	    (rc = rec_count(r, count, 3)))
		return rc;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t b, k;
		if ((rc = next_stack(r, i, &stack)) || (rc = rec_u64(r, "bytes", &b)) || (rc = rec_u64(r, "blocks", &k)))
			return rc;
		cap->stacks[stack].peak_bytes = b;
		cap->stacks[stack].peak_blocks = k;
	}
	if ((rc = rec_done(r)))
		return rc;
	cap->has_peak = 1;
	cap->peak_t = t;
	cap->peak_bytes = bytes;
	cap->peak_blocks = blocks;
	return 0;
}

static int apply_end(rec_t *r)
{
	ml_capture_t *cap = r->ld->cap;
	uint64_t t, flags;
	int rc;
	if ((rc = rec_u64(r, "t", &t)) || (rc = rec_u64(r, "flags", &flags)) || (rc = rec_done(r)))
		return rc;
	if (flags & ~(uint64_t)ML_END_STOPPED_EARLY)
		return fail(r->ld, ML_CAP_EFIELD, "END record at byte %zu: flags 0x%llx (expected only bit 0)",
			    r->rec_start, (unsigned long long)flags);
	cap->complete = 1;
	cap->end_t = t;
	cap->end_flags = flags;
	return 0;
}

static int apply_note(rec_t *r)
{
	ml_capture_t *cap = r->ld->cap;
	uint64_t level;
	ml_cap_note_t note;
	int rc = rec_u64(r, "level", &level);
	if (rc)
		return rc;
	if (level != ML_NOTE_INFO && level != ML_NOTE_WARNING)
		return fail(r->ld, ML_CAP_EFIELD, "NOTE record at byte %zu: level %llu (expected 1 or 2)",
			    r->rec_start, (unsigned long long)level);
	note.level = (uint32_t)level;
	if ((rc = rec_str(r, "text", &note.text)))
		return rc;
	if ((rc = rec_done(r)) ||
	    (grow((void **)&cap->notes, &r->ld->cap_notes, cap->n_notes + 1, sizeof *cap->notes) &&
	     (rc = fail(r->ld, ML_CAP_ENOMEM, "out of memory")))) {
		free((char *)note.text.s);
		return rc;
	}
	cap->notes[cap->n_notes++] = note;
	return 0;
}

static int apply_mark(rec_t *r)
{
	ml_capture_t *cap = r->ld->cap;
	ml_cap_mark_t mark;
	int rc;
	if ((rc = rec_u64(r, "t", &mark.t)) || (rc = rec_u64(r, "heap", &mark.heap)) ||
	    (rc = rec_str(r, "label", &mark.label)))
		return rc;
	if ((rc = rec_done(r)) ||
	    (grow((void **)&cap->marks, &r->ld->cap_marks, cap->n_marks + 1, sizeof *cap->marks) &&
	     (rc = fail(r->ld, ML_CAP_ENOMEM, "out of memory")))) {
		free((char *)mark.label.s);
		return rc;
	}
	cap->marks[cap->n_marks++] = mark;
	const char *want = r->ld->until_mark;
	if (want && !r->ld->at_mark && strlen(want) == mark.label.len && !memcmp(want, mark.label.s, mark.label.len))
		r->ld->at_mark = 1;
	return 0;
}

static int apply_record(rec_t *r)
{
	if (r->ld->seen_end && r->type < ML_REC_OPTIONAL_MIN)
		return fail(r->ld, ML_CAP_EFIELD, "%s record at byte %zu after the END record (expected only the closing FLUSH)",
			    rec_name(r->type), r->rec_start);
	switch (r->type) {
	case ML_REC_META: return apply_meta(r);
	case ML_REC_STRING: return apply_string(r);
	case ML_REC_NODE: return apply_node(r);
	case ML_REC_TICK: return apply_tick(r);
	case ML_REC_STACKS: return apply_stacks(r);
	case ML_REC_PEAK: return apply_peak(r);
	case ML_REC_END: r->ld->seen_end = 1; return apply_end(r);
	case ML_REC_NOTE: return apply_note(r);
	case ML_REC_MARK: return apply_mark(r);
	default: return 0; /* optional record: skipped */
	}
}

/* ---- Framing ---- */

/* Reads the type and length of the record at *pos; on success *pos is the payload and *end its end. */
static int frame_record(loader_t *ld, size_t *pos, size_t *end, uint8_t *type)
{
	size_t start = *pos, p = start + 1;
	uint64_t len;
	*type = ld->d[start];
	if (*type < ML_REC_OPTIONAL_MIN && (*type < ML_REC_META || *type > ML_REC_NOTE))
		return fail(ld, ML_CAP_ETYPE, "unknown mandatory record type 0x%02x at byte %zu (expected a record of format version 1)",
			    *type, start);
	int rc = get_varint(ld->d, &p, ld->n, &len);
	if (rc == -1 || (rc == 0 && len > ld->n - p))
		return fail(ld, ML_CAP_ETRUNC, "truncated at byte %zu (inside %s %s record at byte %zu)", ld->n,
			    article(*type), rec_name(*type), start);
	if (rc == -2)
		return fail(ld, ML_CAP_EFIELD, "malformed record length at byte %zu (%s record at byte %zu)", start + 1,
			    rec_name(*type), start);
	*pos = p;
	*end = p + (size_t)len;
	return 0;
}

/* Frames, checks and applies the flush starting at *pos; *pos moves past its FLUSH record. */
static int load_flush(loader_t *ld, size_t *pos)
{
	size_t start = *pos, p = start, flush_rec = 0, payload = 0, end = 0;
	uint8_t type = 0;
	int rc;
	while (p < ld->n) {
		flush_rec = payload = p;
		if ((rc = frame_record(ld, &payload, &end, &type)))
			return rc;
		p = end;
		if (type == ML_REC_FLUSH)
			break;
	}
	if (type != ML_REC_FLUSH)
		return fail(ld, ML_CAP_ETRUNC, "truncated at byte %zu (expected a FLUSH record closing the flush started at byte %zu)",
			    ld->n, start);

	rec_t fr = {ld, payload, end, flush_rec, ML_REC_FLUSH};
	uint64_t t;
	if ((rc = rec_u64(&fr, "t", &t)))
		return rc;
	if (fr.end - fr.pos != 4)
		return fail(ld, ML_CAP_EFIELD, "FLUSH record at byte %zu: %zu bytes after t (expected a 4-byte crc)",
			    flush_rec, fr.end - fr.pos);
	const uint8_t *c = ld->d + fr.pos;
	uint32_t crc = (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
	uint32_t want = ml_crc32(0, ld->d + start, flush_rec - start);
	if (crc != want)
		return fail(ld, ML_CAP_ECRC, "CRC mismatch in the flush ending at byte %zu (bytes %zu to %zu: stored %08x, computed %08x)",
			    end, start, flush_rec, crc, want);

	for (size_t q = start; q < flush_rec;) {
		rec_t r = {.ld = ld, .rec_start = q};
		r.pos = q;
		frame_record(ld, &r.pos, &r.end, &r.type); /* cannot fail: framed above */
		if ((rc = apply_record(&r)))
			return rc;
		q = r.end;
	}
	ld->cap->n_flushes++;
	if (t > ld->cap->duration_ns)
		ld->cap->duration_ns = t;
	*pos = end;
	return 0;
}

/* ---- Entry points ---- */

static int load(loader_t *ld)
{
	ml_capture_t *cap = ld->cap;
	if (ld->n == 0)
		return fail(ld, ML_CAP_EEMPTY, "empty file");
	size_t m = ld->n < ML_CAP_MAGIC_LEN ? ld->n : ML_CAP_MAGIC_LEN;
	if (memcmp(ld->d, ML_CAP_MAGIC, m))
		return fail(ld, ML_CAP_EMAGIC, "not a memlens capture (bad magic)");
	if (ld->n < ML_CAP_HEADER_LEN)
		return fail(ld, ML_CAP_ETRUNC, "truncated at byte %zu (inside the %d-byte header)", ld->n, ML_CAP_HEADER_LEN);
	const uint8_t *v = ld->d + ML_CAP_MAGIC_LEN;
	uint32_t version = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
	if (version != ML_CAP_VERSION)
		return fail(ld, ML_CAP_EVERSION, "capture format version %u, this memlens reads version %u", version, ML_CAP_VERSION);

	/* id 0 of both tables exists from the start: the empty string and the root / no-frame stack */
	if (grow((void **)&cap->strings, &ld->cap_strings, 1, sizeof *cap->strings) ||
	    grow((void **)&cap->nodes, &ld->cap_nodes, 1, sizeof *cap->nodes) ||
	    !(cap->stacks = calloc(ld->cap_nodes, sizeof *cap->stacks)))
		return fail(ld, ML_CAP_ENOMEM, "out of memory");
	char *empty = calloc(1, 1);
	if (!empty)
		return fail(ld, ML_CAP_ENOMEM, "out of memory");
	cap->strings[0] = (ml_cap_str_t){empty, 0};
	cap->n_strings = 1;
	cap->nodes[0] = (ml_cap_node_t){0, 0, 0, 0};
	cap->n_nodes = 1;

	size_t pos = ML_CAP_HEADER_LEN;
	if (pos == ld->n)
		return fail(ld, ML_CAP_ETRUNC, "truncated at byte %zu (expected the first flush after the header)", pos);
	while (pos < ld->n) {
		if (cap->complete)
			return fail(ld, ML_CAP_EFIELD, "data at byte %zu after the final flush (expected the end of the file after END)", pos);
		int rc = load_flush(ld, &pos);
		if (rc)
			return rc;
		if (ld->at_mark)
			return ML_CAP_OK;
	}
	if (ld->until_mark)
		return fail(ld, ML_CAP_ENOMARK, "no mark named '%s' (memlens summary lists the marks)", ld->until_mark);
	if (cap->complete && cap->end_t > cap->duration_ns)
		cap->duration_ns = cap->end_t;
	return ML_CAP_OK;
}

static int load_buffer(const uint8_t *data, size_t len, const char *until_mark, ml_capture_t **out, char *err,
		       size_t errlen)
{
	loader_t ld = {.d = data, .n = len, .err = err, .errlen = errlen, .until_mark = until_mark};
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	ld.cap = calloc(1, sizeof *ld.cap);
	if (!ld.cap)
		return fail(&ld, ML_CAP_ENOMEM, "out of memory");
	ld.cap->file_size = len;
	int rc = load(&ld);
	if (rc) {
		ml_capture_free(ld.cap);
		return rc;
	}
	*out = ld.cap;
	return ML_CAP_OK;
}

int ml_capture_load(const uint8_t *data, size_t len, ml_capture_t **out, char *err, size_t errlen)
{
	return load_buffer(data, len, NULL, out, err, errlen);
}

static int open_file(const char *path, const char *until_mark, ml_capture_t **out, char *err, size_t errlen)
{
	loader_t ld = {.err = err, .errlen = errlen};
	struct stat st;
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(&ld, ML_CAP_EIO, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return fail(&ld, ML_CAP_EIO, "cannot stat: %s", strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(&ld, ML_CAP_EIO, "not a regular file");
	}
	if (st.st_size == 0) {
		close(fd);
		return load_buffer((const uint8_t *)"", 0, until_mark, out, err, errlen);
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return fail(&ld, ML_CAP_EIO, "file too large to map");
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int e = errno;
	close(fd);
	if (map == MAP_FAILED)
		return fail(&ld, ML_CAP_EIO, "cannot map: %s", strerror(e));
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	int rc = load_buffer(map, (size_t)st.st_size, until_mark, out, err, errlen);
	munmap(map, (size_t)st.st_size);
	return rc;
}

int ml_capture_open(const char *path, ml_capture_t **out, char *err, size_t errlen)
{
	return open_file(path, NULL, out, err, errlen);
}

int ml_capture_open_at_mark(const char *path, const char *label, ml_capture_t **out, char *err, size_t errlen)
{
	return open_file(path, label, out, err, errlen);
}

void ml_capture_free(ml_capture_t *cap)
{
	if (!cap)
		return;
	for (size_t i = 0; i < cap->n_meta; i++) {
		free((char *)cap->meta[i].key.s);
		free((char *)cap->meta[i].value.s);
	}
	for (size_t i = 0; i < cap->n_strings; i++)
		free((char *)cap->strings[i].s);
	for (size_t i = 0; i < cap->n_notes; i++)
		free((char *)cap->notes[i].text.s);
	for (size_t i = 0; i < cap->n_marks; i++)
		free((char *)cap->marks[i].label.s);
	free(cap->marks);
	free(cap->meta);
	free(cap->strings);
	free(cap->nodes);
	free(cap->stacks);
	free(cap->ticks);
	free(cap->notes);
	free(cap);
}

const ml_cap_str_t *ml_capture_meta(const ml_capture_t *cap, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = cap->n_meta; i-- > 0;)
		if (cap->meta[i].key.len == klen && !memcmp(cap->meta[i].key.s, key, klen))
			return &cap->meta[i].value;
	return NULL;
}

size_t ml_capture_stack_depth(const ml_capture_t *cap, uint32_t stack)
{
	size_t depth = 0;
	for (uint32_t id = stack; id; id = cap->nodes[id].parent)
		depth++;
	return depth;
}
