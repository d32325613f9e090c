/* capfmt.h — constants of the .mlens capture format (docs/FORMAT.md).
 *
 * Shared by the tracker (writer) and the analysis reader. Anything here that changes how a version-1
 * reader would interpret a file must bump ML_CAP_VERSION.
 */
#ifndef ML_CAPFMT_H
#define ML_CAPFMT_H

#define ML_CAP_MAGIC "MLENS\0\r\n"
#define ML_CAP_MAGIC_LEN 8
#define ML_CAP_HEADER_LEN 12 /* magic + u32le version */
#define ML_CAP_VERSION 1u

typedef enum {
	ML_REC_META = 0x01,
	ML_REC_STRING = 0x02,
	ML_REC_NODE = 0x03,
	ML_REC_TICK = 0x04,
	ML_REC_STACKS = 0x05,
	ML_REC_PEAK = 0x06,
	ML_REC_END = 0x07,
	ML_REC_FLUSH = 0x08,
	ML_REC_NOTE = 0x09,
	ML_REC_OPTIONAL_MIN = 0x80, /* types from here on may be skipped by readers */
	ML_REC_MARK = 0x80 /* a named point of the run (memlens.mark): optional, older readers skip it */
} ml_rec_type_t;

#define ML_END_STOPPED_EARLY 0x1u /* END.flags: tracing stopped before the program ended */

#define ML_NOTE_INFO 1u
#define ML_NOTE_WARNING 2u

#endif
