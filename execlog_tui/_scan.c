/* Optional accelerator for execlog_tui.core.fastpath: scan a block of raw log lines (bytes, complete
 * lines, none longer than the line limit) and aggregate runs of plain, in-order lines of one second.
 *
 * The rule that keeps it exact: anything the C code is not sure about is handed back to Python as a
 * "special" line, which the reference per-line path (MetricsEngine.feed_lines) then handles. Only lines
 * that are well-formed by SPEC section 1, in order, UTC (no zone or Z; a date before 1970 is ordinary),
 * with an integer duration of at most 9 digits, a registered component that is not watched, a status that
 * is not an error, no CIRCUIT_ action, no memory figure, no degraded marker, and before the next breaker
 * timer are aggregated.
 * A run holds lines of one second, all at .000 ms or none of them (the whole second s.000 is evaluated
 * between the two), so Python can replay the clock at the run's first line exactly.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <stdint.h>

#include "_scan_grammar.h" /* the line grammar's constants, generated from core/grammar.py */

#define SCAN_ABI 5    /* bumped with every change of the module's interface (scan, add_component, line_timestamps) */
#define MAXC 64       /* registered components */
#define MAXNAME 32    /* longest registered component name */
#define NBINS 2048    /* histogram bins (duration_bin of 999999999 is about 914) */
#define MAXR 128      /* critical-path registrations: (component, action) -> (act, path, checkpoint) */
#define MAXA 64       /* checkpoint actions with totals of their own */
#define MAXP 32       /* paths */
#define MAXK 32       /* checkpoints of one path */
#define MAXM 8        /* registrations one line may match (one per path of its component) */

/* SPEC 10: a line of component `comp` whose action is `action` counts in the totals of `act` and is
 * checkpoint `k` of path `path`. Plain lines hold no error, so all a run of them can do to a path is
 * start runs (k == 0) and reach checkpoints: only the strict prefix maxima of k since the last start
 * can be reached, whatever the path's state before the run (see core/critical_paths.py). */
typedef struct {
    int comp;
    int alen;
    char action[MAXNAME];
    int act, path, k;
} Reg;

enum { ST_END = 0, ST_SPECIAL = 1, ST_RUN = 2 };
enum { P_SPECIAL = 0, P_OK = 1, P_SKIP = 2 };

typedef struct {
    PyObject_HEAD
    int ncomp;
    char names[MAXC][MAXNAME];
    int lens[MAXC];
    char is_cache[MAXC];
    char watched[MAXC];
    int64_t *bounds;   /* bounds[j]: smallest integer duration whose bin is >= 100 + j */
    int nbounds;
    /* one-entry cache of the last timestamp second */
    char last_prefix[19];
    int64_t last_epoch;
    int have_prefix;
    /* run accumulators (per call) */
    int64_t hist[NBINS];
    int touched[NBINS];
    int ntouched;
    int64_t c_n[MAXC], c_sum[MAXC], c_max[MAXC];
    int c_order[MAXC];
    int c_norder;
    /* critical paths: registrations, and their run accumulators */
    Reg regs[MAXR];
    int nreg;
    char comp_regs[MAXC];
    int64_t a_n[MAXA], a_sum[MAXA], a_min[MAXA], a_max[MAXA];
    int a_order[MAXA];
    int a_norder;
    int64_t *a_hist; /* MAXA * NBINS */
    int *a_touched;  /* act * NBINS + bin */
    int a_ntouched;
    char p_seen[MAXP], p_restart[MAXP];
    int p_order[MAXP], p_max[MAXP], p_nev[MAXP];
    int p_norder;
    int64_t p_ev[MAXP][MAXK][3]; /* (k, ts, duration) */
} Scanner;

static int
days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

#define ISD(c) ((unsigned char)((c) - '0') <= 9)
#define D2(p) (((p)[0] - '0') * 10 + ((p)[1] - '0'))
#define EPOCH_NONE INT64_MIN /* an impossible date: every int64 second above it is an ordinary one */

/* Floor division and its second, as Python's // (a date before 1970 has a negative epoch second). */
static inline int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The epoch second of 'YYYY-MM-DDTHH:MM:SS' (already checked for shape); EPOCH_NONE when impossible
 * or outside the years GRAMMAR_YEAR_MIN..GRAMMAR_YEAR_MAX (SPEC 1). Dates before 1970 are negative. */
static int64_t
epoch_plain(const char *p)
{
    int64_t y = D2(p) * 100 + D2(p + 2);
    int mo = D2(p + 5), d = D2(p + 8), h = D2(p + 11), mi = D2(p + 14), se = D2(p + 17);
    if (y < GRAMMAR_YEAR_MIN || y > GRAMMAR_YEAR_MAX || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)
        || h > 23 || mi > 59 || se > 59)
        return EPOCH_NONE;
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
}

static int64_t
epoch_of(Scanner *s, const char *p)
{
    if (s->have_prefix && memcmp(p, s->last_prefix, 19) == 0)
        return s->last_epoch;
    int64_t r = epoch_plain(p);
    memcpy(s->last_prefix, p, 19);
    s->last_epoch = r;
    s->have_prefix = 1;
    return r;
}

/* A token of SPEC 1 that C accepts: printable ASCII, no separator (the terminator). Returns its end or NULL.
 * Eight bytes at a time where eight are left (little-endian hosts): each byte's flags are exact, computed
 * within its own lane (no carry reaches the next), so the first separator and any byte outside 0x21..0x7e
 * before it are found as the byte loop finds them; the loop does the rest. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline const char *
token(const char *p, const char *end)
{
    const char *q = p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
    while (end - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        uint64_t lo7 = w & ~HIGHS;
        /* bad: the high bit set, or a low seven bits below 0x21 (+0x5f stays under 0x80), or 0x7f (+1 reaches it) */
        uint64_t bad = (w & HIGHS) | (~(lo7 + 0x5f * ONES) & HIGHS) | ((lo7 + ONES) & HIGHS);
        uint64_t x = w ^ (ONES * (uint64_t)(unsigned char)GRAMMAR_SEP);
        /* a separator: its byte of x is zero; exact for the lowest one (x's bytes are compared alone) */
        uint64_t sep = ((x & ~HIGHS) + ~HIGHS) | x;
        sep = ~sep & HIGHS;
        if (sep) {
            uint64_t before = (sep & -sep) - 1; /* the lanes before the first separator (and its low bits) */
            if (bad & before)
                return NULL;
            q += __builtin_ctzll(sep) >> 3;
            return q == p ? NULL : q;
        }
        if (bad)
            return NULL;
        q += 8;
    }
#endif
    while (q < end) {
        unsigned char c = (unsigned char)*q;
        if (c == GRAMMAR_SEP)
            break;
        if (c < 0x21 || c > 0x7e)
            return NULL;
        q++;
    }
    if (q == p || q >= end)
        return NULL;
    return q;
}

/* [p, p+n) equals the upper-case word `upper` of length k, without regard to case. */
static inline int
ieq_n(const char *p, Py_ssize_t n, const char *upper, Py_ssize_t k)
{
    if (n != k)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'a' && c <= 'z')
            c -= 32;
        if (c != upper[i])
            return 0;
    }
    return 1;
}

/* The same for a literal word (its length known when compiled: no strlen for every line). */
#define IEQ_LIT(p, n, lit) ieq_n((p), (n), (lit), (Py_ssize_t)sizeof(lit) - 1)
#define ISTARTS_LIT(p, n, lit) ((n) >= (Py_ssize_t)sizeof(lit) - 1 && IEQ_LIT((p), (Py_ssize_t)sizeof(lit) - 1, lit))
#define STARTS_LIT(p, n, lit) ((n) >= (Py_ssize_t)sizeof(lit) - 1 && memcmp((p), (lit), sizeof(lit) - 1) == 0)

/* `p` (n bytes, n > 0) is one of the NULL-terminated list of upper-case words, compared without regard
 * to case; a word whose first letter differs is passed over before its length is taken. */
static inline int
ieq_any(const char *p, Py_ssize_t n, const char *const *words)
{
    char c0 = p[0];
    if (c0 >= 'a' && c0 <= 'z')
        c0 -= 32;
    for (; *words != NULL; words++)
        if ((*words)[0] == c0 && ieq_n(p, n, *words, (Py_ssize_t)strlen(*words)))
            return 1;
    return 0;
}

static int
has_sub(const char *p, Py_ssize_t n, const char *sub, Py_ssize_t k)
{
    if (n < k)
        return 0;
    const char *end = p + n - k + 1;
    while (p < end) {
        const char *q = memchr(p, sub[0], (size_t)(end - p));
        if (q == NULL)
            return 0;
        if (memcmp(q, sub, (size_t)k) == 0)
            return 1;
        p = q + 1;
    }
    return 0;
}

typedef struct {
    int64_t ts;
    int comp;
    int64_t dur;
    int completed; /* not an error (errors are special) */
    int hit, miss;
    int nm;        /* critical-path registrations matched */
    int m[MAXM];
} Line;

/* A line's timestamp as C reads it, [p, le) holding at least 20 bytes: 'YYYY-MM-DDTHH:MM:SS' (shape
 * only: the date is checked by epoch_of), an optional fraction of 1..GRAMMAR_FRACTION_DIGITS digits
 * (its milliseconds in *ms), an optional Z, then the separator, whose position it returns; NULL for
 * anything else (a zone offset among them): Python decides. */
static const char *
ts_head(const char *p, const char *le, int64_t *ms_out)
{
    if (!(ISD(p[0]) && ISD(p[1]) && ISD(p[2]) && ISD(p[3]) && p[4] == '-' && ISD(p[5]) && ISD(p[6])
          && p[7] == '-' && ISD(p[8]) && ISD(p[9]) && p[10] == 'T' && ISD(p[11]) && ISD(p[12])
          && p[13] == ':' && ISD(p[14]) && ISD(p[15]) && p[16] == ':' && ISD(p[17]) && ISD(p[18])))
        return NULL;
    const char *q = p + 19;
    int64_t ms = 0;
    if (*q == '.') {
        q++;
        const char *f = q;
        while (q < le && ISD(*q))
            q++;
        Py_ssize_t nf = q - f;
        if (nf < 1 || nf > GRAMMAR_FRACTION_DIGITS)
            return NULL;
        ms = (f[0] - '0') * 100;
        if (nf > 1)
            ms += (f[1] - '0') * 10;
        if (nf > 2)
            ms += f[2] - '0';
    }
    if (q < le && *q == 'Z')
        q++;
    if (q >= le || *q != GRAMMAR_SEP)
        return NULL;
    *ms_out = ms;
    return q;
}

/* Parse one line [p, le) (no newline). P_OK fills `out`; P_SKIP: well-formed and after `until`. */
static int
parse(Scanner *s, const char *p, const char *le, int64_t until, Line *out)
{
    Py_ssize_t n = le - p;
    if (n < 30)
        return P_SPECIAL;
    int64_t ms;
    const char *q = ts_head(p, le, &ms);
    if (q == NULL)
        return P_SPECIAL; /* a zone offset, or anything else: Python decides */
    int64_t sec = epoch_of(s, p);
    if (sec == EPOCH_NONE)
        return P_SPECIAL; /* Python says why */
    int64_t ts = sec * 1000 + ms;
    const char *comp = q + 1;
    const char *ce = token(comp, le);
    if (ce == NULL)
        return P_SPECIAL;
    const char *act = ce + 1;
    const char *ae = token(act, le);
    if (ae == NULL)
        return P_SPECIAL;
    const char *du = ae + 1;
    const char *de = du;
    int64_t dur = 0;
    while (de < le && ISD(*de)) {
        dur = dur * 10 + (*de - '0');
        de++;
    }
    if (de == du || de - du > 9 || de >= le || *de != GRAMMAR_SEP)
        return P_SPECIAL; /* fractions, long numbers and bad ones go to Python */
    const char *st = de + 1;
    const char *se = token(st, le);
    if (se == NULL)
        return P_SPECIAL;
    if (ts > until)
        return P_SKIP;
    const char *det = se + 1;
    const char *dend = le;
    if (dend > det && dend[-1] == '\r')
        dend--;
    Py_ssize_t dn = dend - det;

    /* component */
    Py_ssize_t cn = ce - comp;
    if (cn >= MAXNAME)
        return P_SPECIAL;
    char up[MAXNAME];
    for (Py_ssize_t i = 0; i < cn; i++) {
        char c = comp[i];
        up[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    int id = -1;
    for (int i = 0; i < s->ncomp; i++) {
        if (s->lens[i] == cn && memcmp(s->names[i], up, (size_t)cn) == 0) {
            id = i;
            break;
        }
    }
    if (id < 0 || s->watched[id])
        return P_SPECIAL;
    /* status */
    Py_ssize_t sn = se - st;
    int completed;
    if (ieq_any(st, sn, GRAMMAR_COMPLETED_STATUSES))
        completed = 1;
    else if (ieq_any(st, sn, GRAMMAR_ERROR_STATUSES))
        return P_SPECIAL;
    else
        completed = 0;
    Py_ssize_t an = ae - act;
    if (ISTARTS_LIT(act, an, "CIRCUIT_"))
        return P_SPECIAL;
    if (has_sub(det, dn, "_mb=", 4))
        return P_SPECIAL;
    if (dn > 0 && (det[0] == 'E' || det[0] == 'L' || det[0] == 'X')
        && (STARTS_LIT(det, dn, "Entering degraded mode") || STARTS_LIT(det, dn, "Leaving degraded mode")
            || STARTS_LIT(det, dn, "Exiting degraded mode")))
        return P_SPECIAL;
    out->nm = 0;
    if (s->comp_regs[id]) {
        for (int r = 0; r < s->nreg; r++) {
            Reg *g = &s->regs[r];
            if (g->comp == id && g->alen == an && ieq_n(act, an, g->action, g->alen)) {
                if (out->nm == MAXM)
                    return P_SPECIAL;
                out->m[out->nm++] = r;
            }
        }
    }
    out->ts = ts;
    out->comp = id;
    out->dur = dur;
    out->completed = completed;
    out->hit = out->miss = 0;
    if (s->is_cache[id]) {
        out->hit = IEQ_LIT(act, an, "HIT");
        out->miss = IEQ_LIT(act, an, "MISS");
    }
    return P_OK;
}

static inline int
bin_of(Scanner *s, int64_t d)
{
    if (d < 100)
        return (int)d;
    /* largest j with bounds[j] <= d */
    int lo = 0, hi = s->nbounds - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->bounds[mid] <= d)
            lo = mid;
        else
            hi = mid - 1;
    }
    return 100 + lo;
}

/* A run's flat totals, packed: `n` native int64 values in one bytes object (core/totals.py `unpack`
 * and _totals.c read them back as the ints and floats they stand for). A run's totals as one object,
 * not one Python number each: a plan keeps thousands of runs (core/feedplan.py). */
static PyObject *
packed(Py_ssize_t n)
{
    return PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int64_t));
}

static inline void
put(PyObject *b, Py_ssize_t i, int64_t v)
{
    memcpy(PyBytes_AS_STRING(b) + i * (Py_ssize_t)sizeof(int64_t), &v, sizeof(v));
}

/* The run's checkpoint totals, packed: ((act, entries, duration sum, min, max, ...), (act, bin, count, ...)), reset. */
static PyObject *
critical_acts(Scanner *s)
{
    PyObject *acts = packed(5 * s->a_norder);
    PyObject *ahist = packed(3 * s->a_ntouched);
    if (acts == NULL || ahist == NULL) {
        Py_XDECREF(acts);
        Py_XDECREF(ahist);
        return NULL;
    }
    for (int i = 0; i < s->a_norder; i++) {
        int a = s->a_order[i];
        put(acts, 5 * i, a);
        put(acts, 5 * i + 1, s->a_n[a]);
        put(acts, 5 * i + 2, s->a_sum[a]);
        put(acts, 5 * i + 3, s->a_min[a]);
        put(acts, 5 * i + 4, s->a_max[a]);
        s->a_n[a] = 0;
        s->a_sum[a] = 0;
    }
    for (int i = 0; i < s->a_ntouched; i++) {
        int hk = s->a_touched[i];
        put(ahist, 3 * i, hk / NBINS);
        put(ahist, 3 * i + 1, hk % NBINS);
        put(ahist, 3 * i + 2, s->a_hist[hk]);
        s->a_hist[hk] = 0;
    }
    s->a_norder = s->a_ntouched = 0;
    PyObject *both = PyTuple_Pack(2, acts, ahist);
    Py_DECREF(acts);
    Py_DECREF(ahist);
    return both;
}

/* The run's path events, packed: (path, restarted, n, then n (k, ts, duration) triples, ...), reset. */
static PyObject *
critical_events(Scanner *s)
{
    Py_ssize_t size = 0;
    for (int i = 0; i < s->p_norder; i++)
        size += 3 + 3 * s->p_nev[s->p_order[i]];
    PyObject *out = packed(size);
    if (out == NULL)
        return NULL;
    Py_ssize_t j = 0;
    for (int i = 0; i < s->p_norder; i++) {
        int pp = s->p_order[i];
        put(out, j++, pp);
        put(out, j++, s->p_restart[pp]);
        put(out, j++, s->p_nev[pp]);
        for (int e = 0; e < s->p_nev[pp]; e++) {
            put(out, j++, s->p_ev[pp][e][0]);
            put(out, j++, s->p_ev[pp][e][1]);
            put(out, j++, s->p_ev[pp][e][2]);
        }
        s->p_seen[pp] = 0;
    }
    s->p_norder = 0;
    return out;
}

/* scan(block, pos, t, until, stop_ts, slow_sec) ->
 *   (status, pos, skipped, special_start, special_end, run)
 * run: None or (sec, first_ts, last_ts, entries, completed, dur_sum, hits, misses, hist, comps, (acts,
 * act_hist), path_events), hist packed (bin, count, ...), comps packed (id, entries, dur_sum, dur_max, ...)
 * in the order the components first appear in the run (see `packed`). status END: the block is done; SPECIAL: the line
 * [special_start, special_end) must go to the per-line path after the run; RUN: the run ended at `pos`
 * (the next line starts another one). */
static PyObject *
Scanner_scan(Scanner *s, PyObject *args)
{
    Py_buffer buf;
    Py_ssize_t pos;
    long long t, until, stop_ts, slow_sec;
    if (!PyArg_ParseTuple(args, "y*nLLLL", &buf, &pos, &t, &until, &stop_ts, &slow_sec))
        return NULL;
    const char *base = (const char *)buf.buf;
    const char *p = base + (pos < 0 ? 0 : (pos > buf.len ? buf.len : pos));
    const char *end = base + buf.len;
    int status = ST_END;
    long long skipped = 0;
    Py_ssize_t sp_a = 0, sp_b = 0;
    int have_run = 0, run_zero = 0;
    int64_t run_sec = 0, first_ts = 0, last_ts = t, n = 0, nc = 0, dsum = 0, hits = 0, misses = 0;
    s->ntouched = 0;
    s->c_norder = 0;
    s->a_norder = 0;
    s->a_ntouched = 0;
    s->p_norder = 0;

    Py_BEGIN_ALLOW_THREADS
    while (1) {
        if (p >= end) {
            status = ST_END;
            break;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        if (le == p) {
            p = next;
            continue; /* an empty line: ignored by the parser too */
        }
        Line ln;
        int r = parse(s, p, le, until, &ln);
        if (r == P_SKIP) {
            skipped++;
            p = next;
            continue;
        }
        if (r == P_OK) {
            int64_t sec = floor_div(ln.ts, 1000);
            if (ln.ts < last_ts || ln.ts >= stop_ts || sec == slow_sec)
                r = P_SPECIAL;
            else if (have_run && (sec != run_sec || (run_zero && ln.ts % 1000 != 0))) {
                status = ST_RUN;
                break;
            }
        }
        if (r == P_SPECIAL) {
            status = ST_SPECIAL;
            sp_a = p - base;
            sp_b = le - base;
            p = next;
            break;
        }
        if (!have_run) {
            have_run = 1;
            run_sec = floor_div(ln.ts, 1000);
            run_zero = ln.ts % 1000 == 0;
            first_ts = ln.ts;
        }
        last_ts = ln.ts;
        n++;
        int c = ln.comp;
        if (s->c_n[c] == 0) {
            s->c_order[s->c_norder++] = c;
            s->c_n[c] = 1;
            s->c_sum[c] = ln.dur;
            s->c_max[c] = ln.dur;
        } else {
            s->c_n[c]++;
            s->c_sum[c] += ln.dur;
            if (ln.dur > s->c_max[c])
                s->c_max[c] = ln.dur;
        }
        if (ln.completed) {
            nc++;
            dsum += ln.dur;
            int k = bin_of(s, ln.dur);
            if (s->hist[k] == 0)
                s->touched[s->ntouched++] = k;
            s->hist[k]++;
        }
        hits += ln.hit;
        misses += ln.miss;
        if (ln.nm) {
            /* every registration a line matches has its (component, action): one act */
            int a = s->regs[ln.m[0]].act;
            if (s->a_n[a] == 0) {
                s->a_order[s->a_norder++] = a;
                s->a_min[a] = s->a_max[a] = ln.dur;
            } else if (ln.dur < s->a_min[a]) {
                s->a_min[a] = ln.dur;
            } else if (ln.dur > s->a_max[a]) {
                s->a_max[a] = ln.dur;
            }
            s->a_n[a]++;
            s->a_sum[a] += ln.dur;
            int hk = a * NBINS + bin_of(s, ln.dur);
            if (s->a_hist[hk] == 0)
                s->a_touched[s->a_ntouched++] = hk;
            s->a_hist[hk]++;
            for (int i = 0; i < ln.nm; i++) {
                Reg *g = &s->regs[ln.m[i]];
                int pp = g->path, k = g->k;
                if (!s->p_seen[pp]) {
                    s->p_seen[pp] = 1;
                    s->p_order[s->p_norder++] = pp;
                    s->p_restart[pp] = 0;
                    s->p_max[pp] = 0;
                    s->p_nev[pp] = 0;
                }
                if (k == 0) {
                    s->p_restart[pp] = 1;
                    s->p_max[pp] = 0;
                    s->p_nev[pp] = 0;
                } else if (k <= s->p_max[pp]) {
                    continue;
                }
                s->p_max[pp] = k;
                int64_t *ev = s->p_ev[pp][s->p_nev[pp]++];
                ev[0] = k;
                ev[1] = ln.ts;
                ev[2] = ln.dur;
            }
        }
        p = next;
    }
    Py_END_ALLOW_THREADS

    Py_ssize_t newpos = p - base;
    PyBuffer_Release(&buf);
    PyObject *run;
    if (have_run) {
        PyObject *hist = packed(2 * s->ntouched);
        PyObject *comps = packed(4 * s->c_norder);
        if (hist == NULL || comps == NULL) {
            Py_XDECREF(hist);
            Py_XDECREF(comps);
            return NULL;
        }
        for (int i = 0; i < s->ntouched; i++) {
            int k = s->touched[i];
            put(hist, 2 * i, k);
            put(hist, 2 * i + 1, s->hist[k]);
            s->hist[k] = 0;
        }
        for (int i = 0; i < s->c_norder; i++) {
            int c = s->c_order[i];
            put(comps, 4 * i, c);
            put(comps, 4 * i + 1, s->c_n[c]);
            put(comps, 4 * i + 2, s->c_sum[c]);
            put(comps, 4 * i + 3, s->c_max[c]);
            s->c_n[c] = 0;
        }
        PyObject *acts = critical_acts(s);
        PyObject *pev = acts == NULL ? NULL : critical_events(s);
        if (pev == NULL) {
            Py_DECREF(hist);
            Py_DECREF(comps);
            Py_XDECREF(acts);
            return NULL;
        }
        run = Py_BuildValue("(LLLLLdLLNNNN)", (long long)run_sec, (long long)first_ts, (long long)last_ts,
                            (long long)n, (long long)nc, (double)dsum, (long long)hits, (long long)misses,
                            hist, comps, acts, pev);
        if (run == NULL)
            return NULL;
    } else {
        run = Py_NewRef(Py_None);
    }
    return Py_BuildValue("(inLnnN)", status, newpos, skipped, sp_a, sp_b, run);
}

static PyObject *
Scanner_add_component(Scanner *s, PyObject *args)
{
    const char *name;
    Py_ssize_t n;
    int is_cache;
    PyObject *regs = NULL;
    if (!PyArg_ParseTuple(args, "y#p|O", &name, &n, &is_cache, &regs))
        return NULL;
    if (s->ncomp >= MAXC || n <= 0 || n >= MAXNAME)
        return PyLong_FromLong(-1);
    /* regs: (action, act, path, k) for each checkpoint action of the component's paths; a component
     * whose registrations do not fit is not registered (its lines go to the per-line path). */
    PyObject *seq = NULL;
    if (regs != NULL) {
        seq = PySequence_Fast(regs, "registrations must be a sequence");
        if (seq == NULL)
            return NULL;
    }
    Py_ssize_t nr = seq == NULL ? 0 : PySequence_Fast_GET_SIZE(seq);
    if (s->nreg + nr > MAXR) {
        Py_XDECREF(seq);
        return PyLong_FromLong(-1);
    }
    Reg pending[MAXR];
    for (Py_ssize_t i = 0; i < nr; i++) {
        const char *action;
        Py_ssize_t alen;
        int act, path, k;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "y#iii", &action, &alen, &act, &path, &k)) {
            Py_DECREF(seq);
            return NULL;
        }
        if (alen <= 0 || alen >= MAXNAME || act < 0 || act >= MAXA || path < 0 || path >= MAXP || k < 0
            || k >= MAXK) {
            Py_DECREF(seq);
            return PyLong_FromLong(-1);
        }
        Reg *g = &pending[i];
        memset(g->action, 0, sizeof(g->action));
        memcpy(g->action, action, (size_t)alen);
        g->alen = (int)alen;
        g->act = act;
        g->path = path;
        g->k = k;
    }
    Py_XDECREF(seq);
    int id = s->ncomp++;
    for (Py_ssize_t i = 0; i < nr; i++) {
        pending[i].comp = id;
        s->regs[s->nreg++] = pending[i];
    }
    s->comp_regs[id] = nr > 0;
    memcpy(s->names[id], name, (size_t)n);
    s->lens[id] = (int)n;
    s->is_cache[id] = (char)is_cache;
    s->watched[id] = 0;
    return PyLong_FromLong(id);
}

static PyObject *
Scanner_set_watched(Scanner *s, PyObject *arg)
{
    PyObject *seq = PySequence_Fast(arg, "set_watched expects a sequence of ids");
    if (seq == NULL)
        return NULL;
    memset(s->watched, 0, sizeof(s->watched));
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        long id = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (id == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
        if (id >= 0 && id < MAXC)
            s->watched[id] = 1;
    }
    Py_DECREF(seq);
    Py_RETURN_NONE;
}

static int
Scanner_init(Scanner *s, PyObject *args, PyObject *kwds)
{
    PyObject *bounds;
    if (!PyArg_ParseTuple(args, "O", &bounds))
        return -1;
    PyObject *seq = PySequence_Fast(bounds, "bounds must be a sequence of ints");
    if (seq == NULL)
        return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    if (n < 1 || n > NBINS - 100) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "bad number of bin bounds");
        return -1;
    }
    PyMem_Free(s->bounds);
    s->bounds = PyMem_Malloc(sizeof(int64_t) * (size_t)n);
    if (s->bounds == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        s->bounds[i] = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(seq, i));
        if (s->bounds[i] == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
    }
    s->nbounds = (int)n;
    Py_DECREF(seq);
    s->ncomp = 0;
    s->have_prefix = 0;
    memset(s->hist, 0, sizeof(s->hist));
    memset(s->c_n, 0, sizeof(s->c_n));
    s->nreg = 0;
    memset(s->comp_regs, 0, sizeof(s->comp_regs));
    memset(s->a_n, 0, sizeof(s->a_n));
    memset(s->a_sum, 0, sizeof(s->a_sum));
    memset(s->p_seen, 0, sizeof(s->p_seen));
    s->a_norder = s->a_ntouched = s->p_norder = 0;
    PyMem_Free(s->a_hist);
    PyMem_Free(s->a_touched);
    s->a_hist = PyMem_Calloc((size_t)MAXA * NBINS, sizeof(int64_t));
    s->a_touched = PyMem_Malloc(sizeof(int) * (size_t)MAXA * NBINS);
    if (s->a_hist == NULL || s->a_touched == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void
Scanner_dealloc(Scanner *s)
{
    PyMem_Free(s->bounds);
    PyMem_Free(s->a_hist);
    PyMem_Free(s->a_touched);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyObject *
count_lines(PyObject *mod, PyObject *args)
{
    Py_buffer buf;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "y*n", &buf, &limit))
        return NULL;
    const char *p = buf.buf, *end = p + buf.len;
    Py_ssize_t lines = 1;
    Py_BEGIN_ALLOW_THREADS
    while (1) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le - p > limit) {
            lines = -1;
            break;
        }
        if (nl == NULL)
            break;
        lines++;
        p = nl + 1;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    return PyLong_FromSsize_t(lines);
}

static PyMethodDef Scanner_methods[] = {
    {"scan", (PyCFunction)Scanner_scan, METH_VARARGS, "Scan a block from pos: (status, pos, skipped, a, b, run)."},
    {"add_component", (PyCFunction)Scanner_add_component, METH_VARARGS, "Register an upper-case component name."},
    {"set_watched", (PyCFunction)Scanner_set_watched, METH_O, "Ids whose lines go to the per-line path."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "execlog_tui._scan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_methods = Scanner_methods,
    .tp_doc = "Aggregates runs of plain log lines; see execlog_tui.core.fastpath.",
};

/* The timestamp (epoch ms) of a line C is sure is an entry: ASCII, 'YYYY-MM-DDTHH:MM:SS', an optional
 * fraction, no zone or Z, tokens of printable ASCII, an integer duration of at most 9 digits, then the
 * status's separator (the details are anything). INT64_MIN for every other line: Python decides. */
static int64_t
entry_ts(const char *p, Py_ssize_t n, char *last_prefix, int64_t *last_epoch, int *have)
{
    const char *le = p + n;
    if (n < 20)
        return INT64_MIN;
    int64_t ms;
    const char *q = ts_head(p, le, &ms);
    if (q == NULL)
        return INT64_MIN;
    int64_t sec;
    if (*have && memcmp(p, last_prefix, 19) == 0)
        sec = *last_epoch;
    else {
        sec = epoch_plain(p);
        memcpy(last_prefix, p, 19);
        *last_epoch = sec;
        *have = 1;
    }
    if (sec == EPOCH_NONE)
        return INT64_MIN;
    const char *ce = token(q + 1, le);
    if (ce == NULL)
        return INT64_MIN;
    const char *ae = token(ce + 1, le);
    if (ae == NULL)
        return INT64_MIN;
    const char *du = ae + 1, *de = du;
    while (de < le && ISD(*de))
        de++;
    if (de == du || de - du > 9 || de >= le || *de != GRAMMAR_SEP)
        return INT64_MIN;
    if (token(de + 1, le) == NULL)
        return INT64_MIN;
    return sec * 1000 + ms;
}

/* line_timestamps(lines) -> list: for each str, its timestamp when C is sure it is an entry (see
 * entry_ts), else None (Python's parser decides). */
static PyObject *
line_timestamps(PyObject *self, PyObject *args)
{
    PyObject *lines;
    if (!PyArg_ParseTuple(args, "O:line_timestamps", &lines))
        return NULL;
    PyObject *seq = PySequence_Fast(lines, "line_timestamps: the lines must be a sequence");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        Py_DECREF(seq);
        return NULL;
    }
    char last_prefix[19];
    int64_t last_epoch = 0, last_ts = INT64_MIN;
    int have = 0;
    PyObject *last_obj = NULL; /* borrowed from out: neighbours share their millisecond often */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = items[i];
        int64_t ts = INT64_MIN;
        if (PyUnicode_Check(line) && PyUnicode_IS_ASCII(line))
            ts = entry_ts((const char *)PyUnicode_DATA(line), PyUnicode_GET_LENGTH(line), last_prefix, &last_epoch,
                          &have);
        PyObject *v;
        if (ts == INT64_MIN) {
            v = Py_None;
            Py_INCREF(v);
        }
        else if (last_obj != NULL && ts == last_ts) {
            v = last_obj;
            Py_INCREF(v);
        }
        else {
            v = PyLong_FromLongLong(ts);
            if (v == NULL) {
                Py_DECREF(out);
                Py_DECREF(seq);
                return NULL;
            }
            last_obj = v;
            last_ts = ts;
        }
        PyList_SET_ITEM(out, i, v);
    }
    Py_DECREF(seq);
    return out;
}

static PyMethodDef module_methods[] = {
    {"line_timestamps", line_timestamps, METH_VARARGS, "Each line's timestamp when C is sure it is an entry, else None."},
    {"count_lines", count_lines, METH_VARARGS, "Lines in the block (newline-separated), -1 when one is longer than limit bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef scanmodule = {
    PyModuleDef_HEAD_INIT, "execlog_tui._scan", "Block scanner for the batch fast path.", -1, module_methods,
};

PyMODINIT_FUNC
PyInit__scan(void)
{
    if (PyType_Ready(&ScannerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&scanmodule);
    if (m == NULL)
        return NULL;
    /* The interface's version: core/fastpath.py uses the scanner only when it expects this one (an
     * editable install whose extension was built from an older _scan.c falls back to Python). */
    if (PyModule_AddIntConstant(m, "ABI", SCAN_ABI) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
