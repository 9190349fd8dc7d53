/*
 * zmq_baseline - raw libzmq throughput baseline (C11).
 *
 * The writer sends [topic, payload] messages (with --body-size B:
 * [topic, body, payload], the frame layout of a Savant message whose
 * serialized envelope is B bytes; the body is constant, no encoding is done);
 * the reader receives them with
 * zmq_msg_recv (no copy), verifies the payload pattern and counts.  The
 * writer can send by copy (zmq_send) or zero-copy (zmq_msg_init_data over a
 * ring of K preallocated, pre-touched buffers released by libzmq's free
 * callback).  One JSON line summarises each side's run (--json).
 *
 * Payload layout (size >= 16):
 *   bytes 0..7   sequence number (u64 little endian, first message = 0)
 *   bytes 8..15  payload size    (u64 little endian)
 *   byte  i>=16  (seq * 31 + i) & 0xff
 * --verify full   writer fills / reader checks every byte
 * --verify sample writer fills / reader checks the header, byte 16, one byte
 *                 per 4096-byte page and the last byte (default; cheap)
 * --verify none   header only
 *
 * End of stream: the writer sends [END_TOPIC, u64 count-sent]; for pub-sub it
 * is repeated a few times because PUB may drop it.  The reader also stops when
 * nothing arrived for --timeout-ms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define END_TOPIC "__end__"
#define HDR 16
#define PAGE 4096

extern char **environ;

enum pattern { PAT_DEALER_ROUTER, PAT_PUB_SUB, PAT_REQ_REP, PAT_PUSH_PULL };
enum verify { VERIFY_NONE, VERIFY_SAMPLE, VERIFY_FULL };

typedef struct {
    int role_writer;         /* 1 writer, 0 reader, -1 unset */
    enum pattern pattern;
    int pattern_set;
    const char *endpoint;
    int bind;                /* 1 bind, 0 connect, -1 default */
    uint64_t size;
    uint64_t count;
    int zerocopy;
    int ring;
    int json;
    int timeout_ms;
    int inproc_pair;
    int hwm;
    int io_threads;
    enum verify verify;
    const char *topic;
    int warmup_ms;
    int body_size;           /* 0: [topic, payload]; B > 0: [topic, B-byte body, payload] */
} opts_t;

typedef struct {
    uint8_t *buf;
    atomic_int busy;
} slot_t;

typedef struct {
    const char *role;
    uint64_t messages;
    uint64_t bytes;
    double seconds;
    uint64_t lost;
    uint64_t corrupt;
    uint64_t out_of_order;
    uint64_t send_retries;
    int timed_out;
    int eos_received;
    int error;
    char error_text[160];
    struct rusage ru0, ru1;
    int rusage_who;
    slot_t *ring; /* writer buffers: freed by free_ring() after zmq_ctx_term */
    int nslots;
} result_t;

static const char *pattern_names[] = {"dealer-router", "pub-sub", "req-rep", "push-pull"};
static const char *verify_names[] = {"none", "sample", "full"};

/* A 512-byte ramp: ramp[k] = k & 0xff.  &ramp[b] is 256 bytes b, b+1, ... */
static uint8_t ramp[512];

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline uint8_t pat(uint64_t seq, uint64_t i) { return (uint8_t)((seq * 31u + i) & 0xffu); }

static void fill_payload(uint8_t *buf, uint64_t size, uint64_t seq, enum verify v) {
    put_u64(buf, seq);
    put_u64(buf + 8, size);
    if (size <= HDR) return;
    if (v == VERIFY_FULL) {
        uint64_t i = HDR;
        while (i < size) {
            uint64_t n = size - i < 256 ? size - i : 256;
            memcpy(buf + i, &ramp[pat(seq, i)], n);
            i += n;
        }
    } else if (v == VERIFY_SAMPLE) {
        buf[HDR] = pat(seq, HDR);
        for (uint64_t i = PAGE; i < size; i += PAGE) buf[i] = pat(seq, i);
        buf[size - 1] = pat(seq, size - 1);
    }
}

/* Returns true when the payload is intact; *seq_out receives the sequence. */
static bool check_payload(const uint8_t *buf, size_t size, enum verify v, uint64_t *seq_out) {
    if (size < HDR) return false;
    uint64_t seq = get_u64(buf);
    *seq_out = seq;
    if (get_u64(buf + 8) != size) return false;
    if (size == HDR) return true;
    if (v == VERIFY_FULL) {
        uint64_t i = HDR;
        while (i < size) {
            uint64_t n = size - i < 256 ? size - i : 256;
            if (memcmp(buf + i, &ramp[pat(seq, i)], n) != 0) return false;
            i += n;
        }
    } else if (v == VERIFY_SAMPLE) {
        if (buf[HDR] != pat(seq, HDR)) return false;
        for (uint64_t i = PAGE; i < size; i += PAGE)
            if (buf[i] != pat(seq, i)) return false;
        if (buf[size - 1] != pat(seq, size - 1)) return false;
    }
    return true;
}

/* ---------------------------------------------------------------- usage */

static void usage(FILE *f) {
    fprintf(f,
            "usage: zmq_baseline --role writer|reader --pattern dealer-router|pub-sub|req-rep|push-pull\n"
            "                    --endpoint URL [--bind|--connect] [--size BYTES] [--count N]\n"
            "                    [--mode copy|zerocopy] [--ring K] [--verify none|sample|full]\n"
            "                    [--timeout-ms T] [--hwm N] [--io-threads N] [--topic T]\n"
            "                    [--warmup-ms MS] [--body-size B] [--json]\n"
            "       zmq_baseline --inproc-pair --pattern P --endpoint URL [same options]\n"
            "                    (writer and reader as two threads of one process; reader binds)\n"
            "defaults: --size 6220800 --count 1000 --mode copy --ring 8 --verify sample\n"
            "          --timeout-ms 5000 --hwm 1000 --io-threads 1 --topic bench\n"
            "          --bind for the reader, --connect for the writer; --warmup-ms 300 for pub-sub\n"
            "size must be >= 16 (the payload carries a 16-byte header).\n");
}

static int parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
    uint64_t v;
    if (parse_u64(s, &v) || v < (uint64_t)lo || v > (uint64_t)hi) return -1;
    *out = (int)v;
    return 0;
}

#define USAGE_ERR(...)                                    \
    do {                                                  \
        fprintf(stderr, "zmq_baseline: " __VA_ARGS__);    \
        fprintf(stderr, "\n");                            \
        usage(stderr);                                    \
        exit(2);                                          \
    } while (0)

static void parse_args(int argc, char **argv, opts_t *o) {
    memset(o, 0, sizeof *o);
    o->role_writer = -1;
    o->bind = -1;
    o->size = 6220800;
    o->count = 1000;
    o->ring = 8;
    o->timeout_ms = 5000;
    o->hwm = 1000;
    o->io_threads = 1;
    o->verify = VERIFY_SAMPLE;
    o->topic = "bench";
    o->warmup_ms = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED()                                              \
    do {                                                    \
        if (!v) USAGE_ERR("option %s needs a value", a);    \
        i++;                                                \
    } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--role")) {
            NEED();
            if (!strcmp(v, "writer")) o->role_writer = 1;
            else if (!strcmp(v, "reader")) o->role_writer = 0;
            else USAGE_ERR("--role must be writer or reader, got '%s'", v);
        } else if (!strcmp(a, "--pattern")) {
            NEED();
            int found = 0;
            for (int k = 0; k < 4; k++)
                if (!strcmp(v, pattern_names[k])) { o->pattern = (enum pattern)k; found = 1; }
            if (!found) USAGE_ERR("unknown --pattern '%s'", v);
            o->pattern_set = 1;
        } else if (!strcmp(a, "--endpoint")) {
            NEED();
            o->endpoint = v;
        } else if (!strcmp(a, "--bind")) {
            o->bind = 1;
        } else if (!strcmp(a, "--connect")) {
            o->bind = 0;
        } else if (!strcmp(a, "--size")) {
            NEED();
            if (parse_u64(v, &o->size) || o->size < HDR || o->size > ((uint64_t)1 << 30))
                USAGE_ERR("--size must be an integer in [16, 2^30], got '%s'", v);
        } else if (!strcmp(a, "--count")) {
            NEED();
            if (parse_u64(v, &o->count) || o->count < 1) USAGE_ERR("--count must be a positive integer, got '%s'", v);
        } else if (!strcmp(a, "--mode")) {
            NEED();
            if (!strcmp(v, "copy")) o->zerocopy = 0;
            else if (!strcmp(v, "zerocopy")) o->zerocopy = 1;
            else USAGE_ERR("--mode must be copy or zerocopy, got '%s'", v);
        } else if (!strcmp(a, "--ring")) {
            NEED();
            if (parse_int(v, 1, 4096, &o->ring)) USAGE_ERR("--ring must be in [1, 4096], got '%s'", v);
        } else if (!strcmp(a, "--verify")) {
            NEED();
            int found = 0;
            for (int k = 0; k < 3; k++)
                if (!strcmp(v, verify_names[k])) { o->verify = (enum verify)k; found = 1; }
            if (!found) USAGE_ERR("--verify must be none, sample or full, got '%s'", v);
        } else if (!strcmp(a, "--timeout-ms")) {
            NEED();
            if (parse_int(v, 1, 3600000, &o->timeout_ms)) USAGE_ERR("--timeout-ms must be in [1, 3600000], got '%s'", v);
        } else if (!strcmp(a, "--hwm")) {
            NEED();
            if (parse_int(v, 0, 10000000, &o->hwm)) USAGE_ERR("--hwm must be in [0, 10000000], got '%s'", v);
        } else if (!strcmp(a, "--io-threads")) {
            NEED();
            if (parse_int(v, 0, 64, &o->io_threads)) USAGE_ERR("--io-threads must be in [0, 64], got '%s'", v);
        } else if (!strcmp(a, "--topic")) {
            NEED();
            if (!*v || !strcmp(v, END_TOPIC)) USAGE_ERR("--topic must be non-empty and not '%s'", END_TOPIC);
            o->topic = v;
        } else if (!strcmp(a, "--warmup-ms")) {
            NEED();
            if (parse_int(v, 0, 60000, &o->warmup_ms)) USAGE_ERR("--warmup-ms must be in [0, 60000], got '%s'", v);
        } else if (!strcmp(a, "--body-size")) {
            NEED();
            if (parse_int(v, 0, 1 << 20, &o->body_size)) USAGE_ERR("--body-size must be in [0, 1048576], got '%s'", v);
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--inproc-pair")) {
            o->inproc_pair = 1;
        } else {
            USAGE_ERR("unknown argument '%s'", a);
        }
#undef NEED
    }
    if (!o->endpoint) USAGE_ERR("--endpoint is required");
    if (!o->pattern_set) USAGE_ERR("--pattern is required");
    if (!o->inproc_pair && o->role_writer < 0) USAGE_ERR("--role is required (or --inproc-pair)");
    if (!o->inproc_pair && !strncmp(o->endpoint, "inproc://", 9))
        USAGE_ERR("an inproc:// endpoint only works inside one process: add --inproc-pair");
    if (o->warmup_ms < 0) o->warmup_ms = o->pattern == PAT_PUB_SUB ? 300 : 0;
}

/* ------------------------------------------------------------- sockets */

static int sock_type(enum pattern p, int writer) {
    switch (p) {
    case PAT_DEALER_ROUTER: return writer ? ZMQ_DEALER : ZMQ_ROUTER;
    case PAT_PUB_SUB: return writer ? ZMQ_PUB : ZMQ_SUB;
    case PAT_REQ_REP: return writer ? ZMQ_REQ : ZMQ_REP;
    default: return writer ? ZMQ_PUSH : ZMQ_PULL;
    }
}

static void set_err(result_t *r, const char *what) {
    r->error = 1;
    snprintf(r->error_text, sizeof r->error_text, "%s: %s", what, zmq_strerror(zmq_errno()));
}

static void *open_socket(void *ctx, const opts_t *o, int writer, int bind, result_t *r) {
    void *s = zmq_socket(ctx, sock_type(o->pattern, writer));
    if (!s) { set_err(r, "zmq_socket"); return NULL; }
    int linger = 2000, hwm = o->hwm, to = o->timeout_ms;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &to, sizeof to);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &to, sizeof to);
    if (!writer && o->pattern == PAT_PUB_SUB) zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    int rc = bind ? zmq_bind(s, o->endpoint) : zmq_connect(s, o->endpoint);
    if (rc != 0) {
        set_err(r, bind ? "zmq_bind" : "zmq_connect");
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* -------------------------------------------------------- zero-copy ring */

/* Called by libzmq (usually on its I/O thread) when it no longer needs the buffer. */
static void slot_free(void *data, void *hint) {
    (void)data;
    atomic_store_explicit(&((slot_t *)hint)->busy, 0, memory_order_release);
}

/* Waits (yield, then 20 us sleeps: no busy spinning) until libzmq released the
 * slot; returns -1 after timeout_ms (the peer is not draining). */
static int wait_slot(slot_t *s, int timeout_ms) {
    int n = 0;
    double deadline = 0;
    while (atomic_load_explicit(&s->busy, memory_order_acquire)) {
        if (n++ < 4) {
            sched_yield();
            continue;
        }
        if (deadline == 0) deadline = now_s() + timeout_ms / 1000.0;
        else if (now_s() > deadline) return -1;
        sleep_us(20);
    }
    return 0;
}

/* Only call after zmq_ctx_term: by then libzmq has released every message. */
static void free_ring(result_t *r) {
    for (int k = 0; k < r->nslots; k++) {
        if (atomic_load(&r->ring[k].busy)) continue; /* never free what libzmq may still own */
        free(r->ring[k].buf);
    }
    free(r->ring);
    r->ring = NULL;
    r->nslots = 0;
}

/* ---------------------------------------------------------------- writer */

/* Sends one multipart message [topic, payload...]; returns 0 or -1 (errno kept). */
static int send_frame_copy(void *s, const void *data, size_t n, int flags) {
    return zmq_send(s, data, n, flags) < 0 ? -1 : 0;
}

static int wait_reply(void *s, result_t *r) {
    char buf[16];
    int n = zmq_recv(s, buf, sizeof buf, 0);
    if (n < 0) { set_err(r, "waiting for OK reply"); if (zmq_errno() == EAGAIN) r->timed_out = 1; return -1; }
    if (n != 2 || memcmp(buf, "OK", 2) != 0) {
        r->error = 1;
        snprintf(r->error_text, sizeof r->error_text, "unexpected reply (%d bytes)", n);
        return -1;
    }
    return 0;
}

static void run_writer(void *ctx, const opts_t *o, int bind, result_t *r) {
    r->role = "writer";
    void *s = open_socket(ctx, o, 1, bind, r);
    if (!s) return;
    size_t tlen = strlen(o->topic);
    uint8_t *body = NULL;
    if (o->body_size > 0) {
        body = malloc((size_t)o->body_size);
        if (!body) { r->error = 1; snprintf(r->error_text, sizeof r->error_text, "out of memory"); zmq_close(s); return; }
        for (int k = 0; k < o->body_size; k++) body[k] = (uint8_t)(k * 7 + 1);
    }
    int nslots = o->zerocopy ? o->ring : 1;
    slot_t *slots = calloc((size_t)nslots, sizeof *slots);
    if (!slots) { r->error = 1; snprintf(r->error_text, sizeof r->error_text, "out of memory"); zmq_close(s); return; }
    r->ring = slots;
    r->nslots = nslots;
    for (int k = 0; k < nslots; k++) {
        slots[k].buf = aligned_alloc(PAGE, (o->size + PAGE - 1) / PAGE * PAGE);
        if (!slots[k].buf) { r->error = 1; snprintf(r->error_text, sizeof r->error_text, "out of memory for ring"); goto out; }
        memset(slots[k].buf, 0, o->size); /* pre-touch: fault every page in now */
        fill_payload(slots[k].buf, o->size, 0, VERIFY_FULL);
        atomic_init(&slots[k].busy, 0);
    }
    if (o->warmup_ms) sleep_us((long)o->warmup_ms * 1000);

    getrusage(r->rusage_who, &r->ru0);
    double t0 = now_s();
    uint64_t seq;
    for (seq = 0; seq < o->count; seq++) {
        slot_t *sl = &slots[seq % (uint64_t)nslots];
        if (o->zerocopy && wait_slot(sl, o->timeout_ms) != 0) {
            r->error = 1;
            r->timed_out = 1;
            snprintf(r->error_text, sizeof r->error_text, "no free ring slot within %d ms (peer not draining)", o->timeout_ms);
            break;
        }
        fill_payload(sl->buf, o->size, seq, o->verify);
        int rc;
        for (;;) {
            rc = send_frame_copy(s, o->topic, tlen, ZMQ_SNDMORE);
            if (rc == 0) break;
            if (zmq_errno() == EINTR) continue;
            break;
        }
        if (rc != 0) { set_err(r, "send topic"); if (zmq_errno() == EAGAIN) r->timed_out = 1; break; }
        if (body) {
            /* after the first part libzmq accepts the rest of the message */
            do rc = send_frame_copy(s, body, (size_t)o->body_size, ZMQ_SNDMORE); while (rc < 0 && zmq_errno() == EINTR);
            if (rc < 0) { set_err(r, "send body"); break; }
        }
        if (o->zerocopy) {
            zmq_msg_t m;
            atomic_store_explicit(&sl->busy, 1, memory_order_relaxed);
            zmq_msg_init_data(&m, sl->buf, o->size, slot_free, sl);
            do rc = zmq_msg_send(&m, s, 0); while (rc < 0 && zmq_errno() == EINTR);
            if (rc < 0) { zmq_msg_close(&m); set_err(r, "send payload"); break; }
        } else {
            do rc = send_frame_copy(s, sl->buf, o->size, 0); while (rc < 0 && zmq_errno() == EINTR);
            if (rc < 0) { set_err(r, "send payload"); break; }
        }
        r->messages++;
        r->bytes += o->size;
        if (o->pattern == PAT_REQ_REP && wait_reply(s, r) != 0) break;
    }
    /* zero-copy: the run ends when libzmq has released every buffer */
    if (o->zerocopy && !r->error)
        for (int k = 0; k < nslots; k++)
            if (wait_slot(&slots[k], o->timeout_ms) != 0) {
                r->error = 1;
                r->timed_out = 1;
                snprintf(r->error_text, sizeof r->error_text, "ring buffers not released within %d ms", o->timeout_ms);
                break;
            }
    double t1 = now_s();
    getrusage(r->rusage_who, &r->ru1);
    r->seconds = t1 - t0;

    if (!r->error) {
        uint8_t cnt[8];
        put_u64(cnt, r->messages);
        int repeats = o->pattern == PAT_PUB_SUB ? 3 : 1;
        for (int k = 0; k < repeats; k++) {
            if (zmq_send(s, END_TOPIC, strlen(END_TOPIC), ZMQ_SNDMORE) < 0 || zmq_send(s, cnt, 8, 0) < 0) {
                set_err(r, "send end marker");
                if (zmq_errno() == EAGAIN) r->timed_out = 1;
                break;
            }
            if (o->pattern == PAT_REQ_REP && wait_reply(s, r) != 0) break;
            if (repeats > 1) sleep_us(50000);
        }
    }
out:
    free(body);
    zmq_close(s); /* linger 2 s: lets the end marker leave */
    /* the ring is freed by free_ring() after zmq_ctx_term */
}

/* ---------------------------------------------------------------- reader */

static void run_reader(void *ctx, const opts_t *o, int bind, result_t *r) {
    r->role = "reader";
    void *s = open_socket(ctx, o, 0, bind, r);
    if (!s) return;
    int has_rid = o->pattern == PAT_DEALER_ROUTER;
    int is_rep = o->pattern == PAT_REQ_REP;
    uint64_t expected = o->count;
    uint64_t last_seq = UINT64_MAX;
    double t0 = 0, t_last = 0;
    zmq_msg_t parts[4];
    for (int k = 0; k < 4; k++) zmq_msg_init(&parts[k]);
    getrusage(r->rusage_who, &r->ru0);
    for (;;) {
        int n = 0, more = 1, rc = 0;
        while (more) {
            zmq_msg_t *m = &parts[n < 3 ? n : 3]; /* extra frames beyond 3 overwrite slot 3 */
            do rc = zmq_msg_recv(m, s, 0); while (rc < 0 && zmq_errno() == EINTR);
            if (rc < 0) break;
            n++;
            more = zmq_msg_more(m);
        }
        if (rc < 0) {
            if (zmq_errno() == EAGAIN) r->timed_out = 1;
            else set_err(r, "zmq_msg_recv");
            break;
        }
        if (r->messages == 0 && t0 == 0) {
            t0 = now_s();
            getrusage(r->rusage_who, &r->ru0); /* measure from the first message */
        }
        int base = has_rid ? 1 : 0;
        int is_end = 0;
        zmq_msg_t *topic = &parts[base];
        int is_marker = n == base + 2 && zmq_msg_size(topic) == strlen(END_TOPIC) &&
                        !memcmp(zmq_msg_data(topic), END_TOPIC, strlen(END_TOPIC));
        int data_frames = o->body_size > 0 ? 3 : 2; /* [topic, (body,) payload] */
        if (is_marker) {
            is_end = 1;
            if (zmq_msg_size(&parts[base + 1]) == 8) expected = get_u64(zmq_msg_data(&parts[base + 1]));
        } else if (n == base + data_frames && n <= 4 &&
                   (o->body_size == 0 || zmq_msg_size(&parts[base + 1]) == (size_t)o->body_size)) {
            zmq_msg_t *payload = &parts[n - 1];
            uint64_t seq = 0;
            size_t sz = zmq_msg_size(payload);
            if (!check_payload(zmq_msg_data(payload), sz, o->verify, &seq)) r->corrupt++;
            else {
                if (last_seq != UINT64_MAX && seq <= last_seq) r->out_of_order++;
                last_seq = seq;
            }
            r->messages++;
            r->bytes += sz;
        } else {
            r->corrupt++; /* wrong frame count */
            r->messages++;
        }
        t_last = now_s();
        /* release the frames now, as an application does after processing: on inproc
         * with zero-copy this is what hands the buffer back to the writer's ring */
        for (int k = 0; k < n && k < 4; k++) {
            zmq_msg_close(&parts[k]);
            zmq_msg_init(&parts[k]);
        }
        if (is_rep && zmq_send(s, "OK", 2, 0) < 0) { set_err(r, "send OK reply"); break; }
        if (is_end) { r->eos_received = 1; break; }
    }
    getrusage(r->rusage_who, &r->ru1);
    for (int k = 0; k < 4; k++) zmq_msg_close(&parts[k]);
    r->seconds = t0 > 0 ? t_last - t0 : 0;
    r->lost = expected > r->messages ? expected - r->messages : 0;
    zmq_close(s);
}

/* ---------------------------------------------------------------- output */

static double tv_s(struct timeval a, struct timeval b) {
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_usec - a.tv_usec) * 1e-6;
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void malloc_env(char *out, size_t cap) {
    out[0] = 0;
    size_t used = 0;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, "MALLOC_", 7) && strncmp(*e, "GLIBC_TUNABLES=", 15)) continue;
        int w = snprintf(out + used, cap - used, "%s%s", used ? ";" : "", *e);
        if (w < 0 || (size_t)w >= cap - used) break;
        used += (size_t)w;
    }
}

static void report(const opts_t *o, result_t *r, int bind) {
    double secs = r->seconds;
    double mps = secs > 0 ? (double)r->messages / secs : 0;
    double gbps = secs > 0 ? (double)r->bytes / secs / 1e9 : 0;
    long minflt = r->ru1.ru_minflt - r->ru0.ru_minflt;
    long majflt = r->ru1.ru_majflt - r->ru0.ru_majflt;
    double fpm = r->messages ? (double)minflt / (double)r->messages : 0;
    double us = tv_s(r->ru0.ru_utime, r->ru1.ru_utime), ss = tv_s(r->ru0.ru_stime, r->ru1.ru_stime);
    char menv[512];
    malloc_env(menv, sizeof menv);
    /* writer: the configured size; reader: the mean received payload size */
    uint64_t size_shown = r->role[0] == 'w' ? o->size : (r->messages ? r->bytes / r->messages : 0);
    if (o->json) {
        FILE *f = stdout;
        fprintf(f, "{\"program\":\"zmq_baseline\",\"role\":\"%s\",\"pattern\":\"%s\",\"endpoint\":", r->role,
                pattern_names[o->pattern]);
        json_str(f, o->endpoint);
        fprintf(f,
                ",\"bind\":%s,\"mode\":\"%s\",\"ring\":%d,\"verify\":\"%s\",\"size\":%" PRIu64
                ",\"messages\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,\"msgs_per_s\":%.1f"
                ",\"gb_per_s\":%.4f,\"lost\":%" PRIu64 ",\"corrupt\":%" PRIu64 ",\"out_of_order\":%" PRIu64
                ",\"minor_faults\":%ld,\"minor_faults_per_msg\":%.2f,\"major_faults\":%ld"
                ",\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,\"rusage_scope\":\"%s\",\"eos_received\":%s"
                ",\"timed_out\":%s,\"body_size\":%d,\"malloc_env\":",
                bind ? "true" : "false", o->zerocopy ? "zerocopy" : "copy", o->zerocopy ? o->ring : 0,
                verify_names[o->verify], size_shown, r->messages, r->bytes, secs, mps, gbps, r->lost, r->corrupt,
                r->out_of_order, minflt, fpm, majflt, us, ss, r->rusage_who == RUSAGE_SELF ? "process" : "thread",
                r->eos_received ? "true" : "false", r->timed_out ? "true" : "false", o->body_size);
        json_str(f, menv);
        fprintf(f, ",\"error\":");
        if (r->error) json_str(f, r->error_text);
        else fputs("null", f);
        fputs("}\n", f);
        fflush(f);
    } else {
        printf("%s %s %s %s size=%" PRIu64 " msgs=%" PRIu64 " %.3fs %.1f msg/s %.3f GB/s lost=%" PRIu64
               " corrupt=%" PRIu64 " minflt/msg=%.2f user=%.3fs sys=%.3fs%s%s%s%s\n",
               r->role, pattern_names[o->pattern], o->endpoint, o->zerocopy ? "zerocopy" : "copy", size_shown,
               r->messages, secs, mps, gbps, r->lost, r->corrupt, fpm, us, ss, r->timed_out ? " TIMED-OUT" : "",
               r->error ? " ERROR: " : "", r->error ? r->error_text : "", menv[0] ? " [malloc env set]" : "");
    }
    if (r->error) fprintf(stderr, "zmq_baseline %s: %s\n", r->role, r->error_text);
}

/* ------------------------------------------------------------ pair mode */

typedef struct {
    void *ctx;
    const opts_t *o;
    result_t r;
} thr_t;

static void *writer_thread(void *p) {
    thr_t *t = p;
    run_writer(t->ctx, t->o, 0, &t->r);
    return NULL;
}

int main(int argc, char **argv) {
    opts_t o;
    parse_args(argc, argv, &o);
    for (int k = 0; k < 512; k++) ramp[k] = (uint8_t)k;

    void *ctx = zmq_ctx_new();
    if (!ctx) { fprintf(stderr, "zmq_baseline: zmq_ctx_new: %s\n", zmq_strerror(zmq_errno())); return 1; }
    zmq_ctx_set(ctx, ZMQ_IO_THREADS, o.io_threads);

    int rc = 0;
    if (o.inproc_pair) {
        result_t rr;
        memset(&rr, 0, sizeof rr);
        rr.rusage_who = RUSAGE_THREAD;
        thr_t wt;
        memset(&wt, 0, sizeof wt);
        wt.ctx = ctx;
        wt.o = &o;
        wt.r.rusage_who = RUSAGE_THREAD;
        /* The reader (this thread) binds, the writer thread connects; libzmq >= 4
         * accepts an inproc connect before the bind, so no start-up handshake is needed. */
        pthread_t th;
        if (pthread_create(&th, NULL, writer_thread, &wt) != 0) {
            fprintf(stderr, "zmq_baseline: pthread_create failed\n");
            return 1;
        }
        run_reader(ctx, &o, 1, &rr);
        pthread_join(th, NULL);
        zmq_ctx_term(ctx);
        free_ring(&wt.r);
        report(&o, &wt.r, 0);
        report(&o, &rr, 1);
        rc = (wt.r.error || rr.error || rr.corrupt || rr.lost) ? 1 : 0;
    } else {
        result_t r;
        memset(&r, 0, sizeof r);
        r.rusage_who = RUSAGE_SELF;
        int bind = o.bind >= 0 ? o.bind : !o.role_writer;
        if (o.role_writer) run_writer(ctx, &o, bind, &r);
        else run_reader(ctx, &o, bind, &r);
        zmq_ctx_term(ctx);
        free_ring(&r);
        report(&o, &r, bind);
        rc = (r.error || r.corrupt || (!o.role_writer && (r.lost || !r.eos_received))) ? 1 : 0;
    }
    return rc;
}
