// parallel_for over independent items (cases) with a fixed number of worker threads. The first exception
// thrown by any item stops the handing out of new items and is rethrown in the caller.
#pragma once

#include <cstdint>
#include <functional>

namespace nnseg {

// Runs fn(i) for i in [0, n) on `threads` threads (<= 1: in the calling thread, in order).
void parallel_for(int64_t n, int threads, const std::function<void(int64_t)>& fn);

// Hardware threads of this machine (at least 1).
int default_thread_count();

}  // namespace nnseg
