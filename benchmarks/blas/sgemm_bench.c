/*
 * sgemm_bench: time row-major single-precision GEMM of any BLAS shared library
 * through one CBLAS-shaped call, so backends can be compared like for like.
 *
 *   cc -O2 -o sgemm_bench sgemm_bench.c -ldl -lm
 *   ./sgemm_bench LIBRARY.so [--name NAME] [--threads N] [--repeats R]
 *                 [--min-time SECONDS] [--shapes FILE]
 *
 * The library is dlopen()ed and probed for, in order:
 *   cblas_sgemm           OpenBLAS, BLIS, MKL (mkl_rt)
 *   scipy_cblas_sgemm     scipy-openblas32 wheel (symbols prefixed scipy_)
 *   dnnl_sgemm            oneDNN: adapted to the CBLAS signature below
 * and for a thread-count setter:
 *   openblas_set_num_threads, scipy_openblas_set_num_threads,
 *   bli_thread_set_num_threads, MKL_Set_Num_Threads, omp_set_num_threads
 *   (the last one is what oneDNN's OpenMP runtime honours).
 * OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / BLIS_NUM_THREADS / MKL_NUM_THREADS
 * are also set to N before dlopen, for libraries that read them only at load.
 *
 * Shapes come from a whitespace-separated file (default: shapes.txt next to
 * this source, see there) with columns: name transA transB M N K threads
 * where threads 0 means "--threads N". C = op(A) * op(B), op(X) = X or X^T,
 * all matrices dense row-major (lda = K or M, ldb = N or K, ldc = N).
 *
 * Timing: per shape, 2 warm-up calls; then a call count per sample is chosen
 * so one sample lasts >= --min-time (default 0.1 s); --repeats samples
 * (default 7) are taken and the median, min and max GFLOP/s (2*M*N*K per call)
 * are printed, one tab-separated line per shape:
 *   backend shape transA transB M N K threads gflops_median gflops_min gflops_max contended
 *
 * Contention filter (the machine is shared): for every sample the CPU time
 * used by everything else (busy jiffies in /proc/stat, steal included, minus
 * this process's utime+stime from /proc/self/stat) is compared with the
 * sample's capacity (wall time x online CPUs). A sample where others took
 * more than --max-other (default 0.10) of it is discarded and retaken after a
 * short pause, up to 8x --repeats attempts; after that, contended samples are
 * kept and counted in the last column (0 = every sample was clean). The count
 * of discarded samples goes to stderr. --max-other 1 disables the filter.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };

typedef void (*cblas_sgemm_fn)(int order, int ta, int tb, int M, int N, int K,
                               float alpha, const float *A, int lda,
                               const float *B, int ldb, float beta, float *C,
                               int ldc);
typedef int (*dnnl_sgemm_fn)(char ta, char tb, int64_t M, int64_t N, int64_t K,
                             float alpha, const float *A, int64_t lda,
                             const float *B, int64_t ldb, float beta, float *C,
                             int64_t ldc);
typedef void (*set_threads_fn)(int);
typedef void (*mkl_set_threads_fn)(int);

static cblas_sgemm_fn g_cblas;
static dnnl_sgemm_fn g_dnnl;
static set_threads_fn g_set_threads;
static const char *g_set_threads_name = "none";

/* oneDNN adapter: same semantics as cblas_sgemm(CblasRowMajor, ...). */
static void dnnl_as_cblas(int order, int ta, int tb, int M, int N, int K,
                          float alpha, const float *A, int lda, const float *B,
                          int ldb, float beta, float *C, int ldc) {
    (void)order; /* dnnl_sgemm is row-major, like CblasRowMajor */
    int st = g_dnnl(ta == Trans ? 'T' : 'N', tb == Trans ? 'T' : 'N', M, N, K,
                    alpha, A, lda, B, ldb, beta, C, ldc);
    if (st != 0) {
        fprintf(stderr, "dnnl_sgemm failed: status %d\n", st);
        exit(1);
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* busy jiffies of the whole machine (steal included) */
static long long sys_busy(void) {
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    long long v[10] = {0};
    int n = fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    fclose(f);
    if (n < 8) return -1;
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]; /* user nice system irq softirq steal */
}

/* utime + stime of this process, all threads, in jiffies */
static long long self_busy(void) {
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f) return -1;
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    long long ut = 0, st = 0;
    /* after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &ut, &st) != 2) return -1;
    return ut + st;
}

static void set_threads(int n) {
    if (g_set_threads) g_set_threads(n);
}

static void fill(float *p, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = ((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s LIBRARY.so [--name NAME] [--threads N] "
                        "[--repeats R] [--min-time S] [--shapes FILE] [--max-other F]\n", argv[0]);
        return 2;
    }
    const char *lib = argv[1], *name = NULL, *shapes = NULL;
    int threads = 2, repeats = 7;
    double min_time = 0.1, max_other = 0.10;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--name") && i + 1 < argc) name = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc) shapes = argv[++i];
        else if (!strcmp(argv[i], "--max-other") && i + 1 < argc) max_other = atof(argv[++i]);
        else { fprintf(stderr, "unknown argument %s\n", argv[i]); return 2; }
    }
    if (!name) name = lib;
    if (!shapes) {
        static char buf[4096];
        const char *slash = strrchr(__FILE__, '/');
        if (slash) snprintf(buf, sizeof buf, "%.*s/shapes.txt", (int)(slash - __FILE__), __FILE__);
        else snprintf(buf, sizeof buf, "shapes.txt");
        shapes = buf;
    }

    char nbuf[16];
    snprintf(nbuf, sizeof nbuf, "%d", threads);
    const char *envs[] = {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "BLIS_NUM_THREADS",
                          "MKL_NUM_THREADS"};
    for (size_t i = 0; i < sizeof envs / sizeof *envs; i++) setenv(envs[i], nbuf, 1);

    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "dlopen %s: %s\n", lib, dlerror()); return 1; }

    const char *entry;
    if ((g_cblas = (cblas_sgemm_fn)dlsym(h, "cblas_sgemm"))) entry = "cblas_sgemm";
    else if ((g_cblas = (cblas_sgemm_fn)dlsym(h, "scipy_cblas_sgemm"))) entry = "scipy_cblas_sgemm";
    else if ((g_dnnl = (dnnl_sgemm_fn)dlsym(h, "dnnl_sgemm"))) { g_cblas = dnnl_as_cblas; entry = "dnnl_sgemm"; }
    else { fprintf(stderr, "%s: no cblas_sgemm, scipy_cblas_sgemm or dnnl_sgemm\n", lib); return 1; }

    const char *setters[] = {"openblas_set_num_threads", "scipy_openblas_set_num_threads",
                             "bli_thread_set_num_threads", "MKL_Set_Num_Threads",
                             "omp_set_num_threads"};
    for (size_t i = 0; i < sizeof setters / sizeof *setters && !g_set_threads; i++) {
        g_set_threads = (set_threads_fn)dlsym(h, setters[i]);
        if (g_set_threads) g_set_threads_name = setters[i];
    }
    /* version / kernel info, where the library tells it */
    char info[256] = "";
    const char *(*str_fn)(void);
    if ((str_fn = (const char *(*)(void))dlsym(h, "openblas_get_config")) ||
        (str_fn = (const char *(*)(void))dlsym(h, "scipy_openblas_get_config")))
        snprintf(info, sizeof info, "%s", str_fn());
    if ((str_fn = (const char *(*)(void))dlsym(h, "openblas_get_corename")) ||
        (str_fn = (const char *(*)(void))dlsym(h, "scipy_openblas_get_corename")))
        snprintf(info + strlen(info), sizeof info - strlen(info), " core=%s", str_fn());
    if ((str_fn = (const char *(*)(void))dlsym(h, "bli_info_get_version_str"))) {
        snprintf(info, sizeof info, "BLIS %s", str_fn());
        int (*arch_id)(void) = (int (*)(void))dlsym(h, "bli_arch_query_id");
        const char *(*arch_str)(int) = (const char *(*)(int))dlsym(h, "bli_arch_string");
        if (arch_id && arch_str)
            snprintf(info + strlen(info), sizeof info - strlen(info), " arch=%s", arch_str(arch_id()));
    }
    void (*mkl_ver)(char *, int) = (void (*)(char *, int))dlsym(h, "MKL_Get_Version_String");
    if (mkl_ver) { mkl_ver(info, sizeof info - 1); info[sizeof info - 1] = 0; }
    typedef struct { int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime; } dnnl_version_t;
    const dnnl_version_t *(*dv)(void) = (const dnnl_version_t *(*)(void))dlsym(h, "dnnl_version");
    if (dv && g_dnnl) { const dnnl_version_t *v = dv(); snprintf(info, sizeof info, "oneDNN %d.%d.%d", v->major, v->minor, v->patch); }
    fprintf(stderr, "# %s: %s via %s, threads via %s; %s\n", name, lib, entry, g_set_threads_name, info);

    FILE *f = fopen(shapes, "r");
    if (!f) { fprintf(stderr, "cannot open shapes file %s\n", shapes); return 1; }
    char line[512];
    double hz = (double)sysconf(_SC_CLK_TCK), ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN);
    double *samples = calloc(repeats > 0 ? repeats : 1, sizeof(double));
    while (fgets(line, sizeof line, f)) {
        char sname[128], tas[8], tbs[8];
        long M, N, K;
        int th;
        if (line[0] == '#' || sscanf(line, "%127s %7s %7s %ld %ld %ld %d", sname, tas, tbs, &M, &N, &K, &th) != 7)
            continue;
        int ta = (tas[0] == 'T' || tas[0] == 't') ? Trans : NoTrans;
        int tb = (tbs[0] == 'T' || tbs[0] == 't') ? Trans : NoTrans;
        int nth = th > 0 ? th : threads;
        set_threads(nth);
        float *A = aligned_alloc(64, ((M * K * sizeof(float)) + 63) / 64 * 64);
        float *B = aligned_alloc(64, ((K * N * sizeof(float)) + 63) / 64 * 64);
        float *C = aligned_alloc(64, ((M * N * sizeof(float)) + 63) / 64 * 64);
        fill(A, M * K, 1); fill(B, K * N, 2); memset(C, 0, M * N * sizeof(float));
        int lda = ta == Trans ? M : K, ldb = tb == Trans ? K : N, ldc = N;
#define CALL() g_cblas(RowMajor, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc)
        CALL(); CALL();
        /* calibrate calls per sample */
        long calls = 1;
        for (;;) {
            double t0 = now();
            for (long c = 0; c < calls; c++) CALL();
            double dt = now() - t0;
            if (dt >= min_time) break;
            long want = dt > 0 ? (long)(calls * min_time / dt * 1.1) + 1 : calls * 10;
            calls = want > calls * 10 ? calls * 10 : (want > calls ? want : calls * 2);
        }
        double flop = 2.0 * M * N * K * calls;
        int dropped = 0, forced = 0;
        for (int r = 0, attempts = 0; r < repeats; attempts++) {
            long long sb0 = sys_busy(), pb0 = self_busy();
            double t0 = now();
            for (long c = 0; c < calls; c++) CALL();
            double dt = now() - t0;
            long long sb1 = sys_busy(), pb1 = self_busy();
            double other = (sb0 < 0 || pb0 < 0) ? 0.0
                         : ((sb1 - sb0) - (pb1 - pb0)) / (dt * hz * ncpu);
            if (other > max_other && attempts < 8 * repeats) {
                dropped++;
                usleep(200000);
                continue;
            }
            if (other > max_other) forced++;
            samples[r++] = flop / dt / 1e9;
        }
        if (dropped)
            fprintf(stderr, "# %s %s: %d samples dropped for contention\n", name, sname, dropped);
#undef CALL
        qsort(samples, repeats, sizeof(double), cmp_double);
        double med = repeats % 2 ? samples[repeats / 2] : 0.5 * (samples[repeats / 2 - 1] + samples[repeats / 2]);
        printf("%s\t%s\t%c\t%c\t%ld\t%ld\t%ld\t%d\t%.1f\t%.1f\t%.1f\t%d\n", name, sname,
               ta == Trans ? 'T' : 'N', tb == Trans ? 'T' : 'N', M, N, K, nth, med, samples[0],
               samples[repeats - 1], forced);
        fflush(stdout);
        free(A); free(B); free(C);
    }
    fclose(f);
    free(samples);
    return 0;
}
