/*
 * Native kernel of hashdb.index.HammingIndex: exact Hamming-radius search over the index's
 * multi-index-hash tables, with the GIL released.
 *
 * Why native: at a million PDQ hashes a radius-31 query has to look at ~4,150 candidates in 272
 * buckets. numpy spends most of its time on temporaries and on gathering scattered rows; here
 * each bucket is a contiguous run of the codes' first words (the "prefix" table, laid out in
 * bucket order per chunk), so a query reads 272 short runs and touches a full code only for the
 * rare candidate whose prefix is already within the radius.
 *
 * The Python side (hashdb/index.py) owns every array and keeps a pure-numpy path that gives the
 * same answers when this module is not built.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>

#define NKEYS 65536
#define MAX_MASKS 137 /* 1 + 16 + 120: every 16-bit value with at most two bits set */

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define POPCNT_CLONES
#endif

typedef struct {
    const uint64_t *codes;   /* (n, words) */
    const uint8_t *alive;    /* (n,) */
    const uint64_t *prefix;  /* (chunks * built, pwords): codes' first words in bucket order */
    const int32_t *order;    /* (chunks * built,): row of each prefix entry */
    const int64_t *offsets;  /* (chunks * (NKEYS + 1),): bucket bounds into prefix/order */
    Py_ssize_t words, pwords, chunks, n, built;
} Tables;

typedef struct {
    int64_t *rows;
    int32_t *dist;
    int64_t *counts;
    Py_ssize_t capacity, total;
} Output;

static int masks_for(int flips, uint16_t *masks) {
    int count = 0;
    masks[count++] = 0;
    if (flips >= 1)
        for (int a = 0; a < 16; a++) masks[count++] = (uint16_t)(1u << a);
    if (flips >= 2)
        for (int a = 0; a < 16; a++)
            for (int b = a + 1; b < 16; b++) masks[count++] = (uint16_t)((1u << a) | (1u << b));
    return count;
}

static inline void emit(Output *out, int64_t row, int32_t dist) {
    if (out->total < out->capacity) {
        out->rows[out->total] = row;
        out->dist[out->total] = dist;
    }
    out->total++;
}

/* The bucket runs of one query's probes (chunk c, prefix positions [start, end)). */
typedef struct {
    int64_t *starts, *ends;
    int *chunk_of;
    int count;
} Ranges;

/* Stage 1 of a query: prefetch the offset-table entries of its probes (scattered over the
 * tables; on a machine without huge pages each is a TLB miss as well as a cache miss). */
static void prefetch_offsets(const Tables *t, const uint64_t *q, const uint16_t *masks,
                             int nmasks) {
    const uint16_t *qkeys = (const uint16_t *)q;
    for (Py_ssize_t c = 0; c < t->chunks; c++)
        for (int m = 0; m < nmasks; m++)
            __builtin_prefetch(t->offsets + c * (NKEYS + 1) + (qkeys[c] ^ masks[m]));
}

/* Stage 2: read the bucket bounds and prefetch every non-empty run. */
static void collect_ranges(const Tables *t, const uint64_t *q, const uint16_t *masks,
                           int nmasks, Ranges *r) {
    const uint16_t *qkeys = (const uint16_t *)q;
    r->count = 0;
    for (Py_ssize_t c = 0; c < t->chunks; c++) {
        const int64_t *off = t->offsets + c * (NKEYS + 1);
        for (int m = 0; m < nmasks; m++) {
            unsigned key = qkeys[c] ^ masks[m];
            int64_t s = off[key], e = off[key + 1];
            if (e > s) {
                /* every cache line of the run: runs are too short for the hardware's
                 * stream prefetcher to catch on */
                const char *first = t->pwords ? (const char *)(t->prefix + s * t->pwords)
                                              : (const char *)(t->order + s);
                const char *last = t->pwords ? (const char *)(t->prefix + e * t->pwords)
                                             : (const char *)(t->order + e);
                for (const char *line = first; line < last; line += 64) __builtin_prefetch(line);
                r->starts[r->count] = s;
                r->ends[r->count] = e;
                r->chunk_of[r->count++] = (int)c;
            }
        }
    }
}

POPCNT_CLONES
static int prefix_distance(const uint64_t *x, const uint64_t *q, Py_ssize_t words) {
    int d = 0;
    for (Py_ssize_t w = 0; w < words; w++) d += __builtin_popcountll(x[w] ^ q[w]);
    return d;
}

/* Stage 3: scan the runs, prefix words first and the full code only for the rare survivor
 * (with no prefix table, pwords == 0, every candidate's full code: less memory, more misses);
 * then brute-force the rows not in the tables yet (every row when flips < 0). */
POPCNT_CLONES
static void scan(const Tables *t, const uint64_t *q, int radius, int flips, const Ranges *r,
                 Output *out) {
    const uint16_t *qkeys = (const uint16_t *)q;
    Py_ssize_t before = out->total;
    for (int j = 0; j < r->count; j++) {
        int c = r->chunk_of[j];
        for (int64_t i = r->starts[j]; i < r->ends[j]; i++) {
            const uint64_t *x = t->prefix + i * t->pwords;
            int d = t->pwords == 2 ? __builtin_popcountll(x[0] ^ q[0]) +
                                         __builtin_popcountll(x[1] ^ q[1])
                                   : prefix_distance(x, q, t->pwords);
            if (d > radius) continue;
            int64_t row = t->order[i];
            const uint64_t *code = t->codes + row * t->words;
            for (Py_ssize_t w = t->pwords; w < t->words; w++)
                d += __builtin_popcountll(code[w] ^ q[w]);
            if (d > radius || !t->alive[row]) continue;
            /* found through an earlier chunk too: that probe already emitted it */
            const uint16_t *keys = (const uint16_t *)code;
            int seen = 0;
            for (int e = 0; e < c && !seen; e++)
                seen = __builtin_popcount((unsigned)(keys[e] ^ qkeys[e])) <= flips;
            if (!seen) emit(out, row, d);
        }
    }
    for (int64_t row = flips >= 0 ? t->built : 0; row < t->n; row++) {
        const uint64_t *code = t->codes + row * t->words;
        int d = 0;
        for (Py_ssize_t w = 0; w < t->words && d <= radius; w++)
            d += __builtin_popcountll(code[w] ^ q[w]);
        if (d <= radius && t->alive[row]) emit(out, row, d);
    }
    *out->counts++ = out->total - before;
}

/* Every query of a batch, three stages deep: while query i is scanned, query i+1's runs and
 * query i+2's offsets are already on their way from memory. */
static void search_batch(const Tables *t, const uint64_t *queries, Py_ssize_t nqueries,
                         int radius, int flips, const uint16_t *masks, int nmasks,
                         Ranges ring[2], Output *out) {
    int tables = flips >= 0 && t->built > 0;
    Ranges none = {NULL, NULL, NULL, 0};
    const uint64_t *q = queries;
    Py_ssize_t w = t->words;
    if (tables && nqueries > 0) {
        prefetch_offsets(t, q, masks, nmasks);
        if (nqueries > 1) prefetch_offsets(t, q + w, masks, nmasks);
        collect_ranges(t, q, masks, nmasks, &ring[0]);
    }
    for (Py_ssize_t i = 0; i < nqueries; i++) {
        if (tables && i + 2 < nqueries) prefetch_offsets(t, q + (i + 2) * w, masks, nmasks);
        if (tables && i + 1 < nqueries)
            collect_ranges(t, q + (i + 1) * w, masks, nmasks, &ring[(i + 1) & 1]);
        scan(t, q + i * w, radius, flips, tables ? &ring[i & 1] : &none, out);
    }
}

typedef struct {
    Py_buffer view;
    int held;
} Buffer;

static int get_buffer(PyObject *obj, Buffer *buf, Py_ssize_t itemsize, int writable,
                      const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &buf->view, flags) < 0) return -1;
    buf->held = 1;
    if (buf->view.itemsize != itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: expected items of %zd bytes", name, itemsize);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(search_doc,
"search(codes, alive, prefix, order, offsets, words, pwords, chunks, n, built, queries,\n"
"       radius, flips, out_rows, out_dist, out_counts) -> int\n\n"
"Every live row within ``radius`` of each query (a C-contiguous uint64 array of\n"
"len * words). ``flips`` < 0 searches every row by brute force. Hits are written to\n"
"out_rows/out_dist in query order, out_counts[i] hits for query i; returns the total,\n"
"which exceeds len(out_rows) when the output buffers were too small (call again).");

static PyObject *search(PyObject *self, PyObject *args) {
    PyObject *objs[9];
    Py_ssize_t words, pwords, chunks, n, built;
    int radius, flips;
    if (!PyArg_ParseTuple(args, "OOOOOnnnnnOiiOOO", &objs[0], &objs[1], &objs[2], &objs[3],
                          &objs[4], &words, &pwords, &chunks, &n, &built, &objs[5], &radius,
                          &flips, &objs[6], &objs[7], &objs[8]))
        return NULL;
    static const Py_ssize_t sizes[9] = {8, 1, 8, 4, 8, 8, 8, 4, 8};
    static const int writable[9] = {0, 0, 0, 0, 0, 0, 1, 1, 1};
    static const char *names[9] = {"codes", "alive", "prefix", "order", "offsets",
                                   "queries", "out_rows", "out_dist", "out_counts"};
    Buffer bufs[9] = {{{0}}};
    PyObject *result = NULL;
    void *scratch = NULL;
    for (int i = 0; i < 9; i++)
        if (get_buffer(objs[i], &bufs[i], sizes[i], writable[i], names[i]) < 0) goto done;
    if (words < 1 || pwords < 0 || pwords > words || chunks < 1 || chunks * 16 > words * 64 ||
        flips > 2 || n < 0 || built < 0 || built > n ||
        bufs[0].view.len < n * words * 8 || bufs[1].view.len < n ||
        bufs[2].view.len < chunks * built * pwords * 8 || bufs[3].view.len < chunks * built * 4 ||
        (flips >= 0 && built > 0 && bufs[4].view.len < chunks * (NKEYS + 1) * 8) ||
        bufs[5].view.len % (words * 8) != 0 || bufs[6].view.len / 8 != bufs[7].view.len / 4) {
        PyErr_SetString(PyExc_ValueError, "search: array sizes do not match the index shape");
        goto done;
    }
    Py_ssize_t nqueries = bufs[5].view.len / (words * 8);
    if (bufs[8].view.len < nqueries * 8) {
        PyErr_SetString(PyExc_ValueError, "search: out_counts is shorter than the queries");
        goto done;
    }
    Tables t = {bufs[0].view.buf, bufs[1].view.buf, bufs[2].view.buf, bufs[3].view.buf,
                bufs[4].view.buf, words, pwords, chunks, n, built};
    Output out = {bufs[6].view.buf, bufs[7].view.buf, bufs[8].view.buf, bufs[6].view.len / 8, 0};
    uint16_t masks[MAX_MASKS];
    int nmasks = masks_for(flips, masks);
    Py_ssize_t slots = chunks * nmasks;
    /* two Ranges (the pipeline's ring): starts and ends, then chunk numbers */
    scratch = PyMem_RawMalloc(2 * slots * (2 * sizeof(int64_t) + sizeof(int)));
    if (!scratch) {
        PyErr_NoMemory();
        goto done;
    }
    Ranges ring[2];
    for (int k = 0; k < 2; k++) {
        ring[k].starts = (int64_t *)scratch + (2 * k) * slots;
        ring[k].ends = (int64_t *)scratch + (2 * k + 1) * slots;
        ring[k].chunk_of = (int *)((int64_t *)scratch + 4 * slots) + k * slots;
        ring[k].count = 0;
    }
    const uint64_t *queries = bufs[5].view.buf;
    Py_BEGIN_ALLOW_THREADS
    search_batch(&t, queries, nqueries, radius, flips, masks, nmasks, ring, &out);
    Py_END_ALLOW_THREADS
    result = PyLong_FromSsize_t(out.total);
done:
    PyMem_RawFree(scratch);
    for (int i = 0; i < 9; i++)
        if (bufs[i].held) PyBuffer_Release(&bufs[i].view);
    return result;
}

static PyMethodDef methods[] = {
    {"search", search, METH_VARARGS, search_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "hashdb._hamming",
    "Native exact Hamming-radius search for hashdb.index.HammingIndex.", -1, methods,
};

PyMODINIT_FUNC PyInit__hamming(void) { return PyModule_Create(&module); }
