// A small process-wide thread pool for kernels that split work across cores.
#pragma once

#include <cstdint>
#include <functional>

namespace onyx {

// Number of worker threads kernels may use (default: hardware concurrency). 1 disables threading.
int num_threads();
void set_num_threads(int n);

// Runs fn(begin, end) over [0, n) split into chunks of at least `grain` items, on up to num_threads() threads.
// Blocks until all chunks finish; rethrows the first exception a chunk threw. Nested calls run serially.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Runs fn(t) for t in [0, parts) with each part on its own thread when possible (parts <= num_threads());
// nested or single-threaded: serially. For kernels that split work evenly themselves (gemm slices).
void parallel_parts(int parts, const std::function<void(int)>& fn);

// Runs fn(t) for t in [0, n), each task claimed on its own by whichever thread is free (no chunking): for a few
// dozen heavy tasks of uneven size, where chunks of several would leave a thread idle at the end. Nested or
// single-threaded: serially.
void parallel_tasks(int64_t n, const std::function<void(int64_t)>& fn);

// Whether the calling thread is inside a parallel_for/parallel_parts region (nested calls run serially).
bool in_parallel_region();

}  // namespace onyx
