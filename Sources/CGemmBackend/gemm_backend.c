#include "gemm_backend.h"

#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdio.h>

// libgomp's omp_set_num_threads: oneDNN runs its GEMM in an OpenMP team of the calling thread's size. Found at
// run time in the libgomp that libdnnl loads, so the build needs no libgomp.so of its own.
typedef void (*set_threads_function)(int);
static set_threads_function set_threads;
static pthread_once_t set_threads_once = PTHREAD_ONCE_INIT;

static void find_set_threads(void) { set_threads = (set_threads_function)dlsym(RTLD_DEFAULT, "omp_set_num_threads"); }

int ladon_onednn_vector_bits(void) {
    pthread_once(&set_threads_once, find_set_threads);
    if (!set_threads) return 0;
#if defined(__x86_64__)
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core) return 512;
    if ((isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2) return 256;
#endif
    return 0;
}

int ladon_onednn_sgemm(int transpose_b, long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                       float beta, float *c, long ldc) {
    // The caller splits products across its own threads: an OpenMP team inside each would oversubscribe the cores.
    set_threads(1);
    dnnl_status_t status = dnnl_sgemm('N', transpose_b ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
    return status == dnnl_success ? 0 : (int)status;
}

const char *ladon_onednn_version(void) {
    static char text[32];
    const dnnl_version_t *version = dnnl_version();
    snprintf(text, sizeof text, "%d.%d.%d", version->major, version->minor, version->patch);
    return text;
}
