// Index-ordered producer/consumer queue behind BatchQueue<T> (training/batch_queue.h).
#include "training/batch_queue.h"

#include <condition_variable>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

namespace nnseg {

struct BatchQueueCore::State {
  // One finished batch: the item, or the exception its producer threw.
  struct Slot {
    std::shared_ptr<void> item;
    std::exception_ptr error;
  };

  Produce produce;
  int64_t capacity = 1;
  int64_t end = std::numeric_limits<int64_t>::max();  // one past the last index

  mutable std::mutex mutex;
  std::condition_variable changed;  // any of the fields below changed
  int64_t next_claim = 0;           // next index a producer takes
  int64_t next_pop = 0;             // next index the consumer takes
  bool stopped = false;
  bool failed = false;                // a producer threw: no new indices are claimed
  std::exception_ptr consumer_error;  // rethrown by every pop after the failed batch was popped
  std::map<int64_t, Slot> ready;      // finished batches not yet popped
  std::vector<std::thread> threads;

  void run_producer() {
    for (;;) {
      int64_t index = 0;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock,
                     [this] { return stopped || failed || next_claim >= end || next_claim < next_pop + capacity; });
        if (stopped || failed || next_claim >= end) return;
        index = next_claim++;
      }
      Slot slot;
      try {
        slot.item = produce(index);
      } catch (...) {
        slot.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (slot.error) failed = true;
        ready.emplace(index, std::move(slot));
      }
      changed.notify_all();
    }
  }

  void stop_and_join() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopped = true;
    }
    changed.notify_all();
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
  }
};

BatchQueueCore::BatchQueueCore(Produce produce, const BatchQueueOptions& options) : state_(std::make_unique<State>()) {
  if (options.threads < 1) {
    throw InputError("batch queue threads", std::to_string(options.threads) + ": expected at least 1");
  }
  if (options.capacity < 0) {
    throw InputError("batch queue capacity", std::to_string(options.capacity) + ": expected 0 (automatic) or more");
  }
  if (options.count < -1 || options.first_index < 0) {
    throw InputError("batch queue", "first index " + std::to_string(options.first_index) + ", count " +
                                        std::to_string(options.count) + ": expected >= 0 and >= -1");
  }
  State& s = *state_;
  s.produce = std::move(produce);
  s.capacity = options.capacity == 0 ? 2 * static_cast<int64_t>(options.threads) : options.capacity;
  s.next_claim = options.first_index;
  s.next_pop = options.first_index;
  if (options.count >= 0) s.end = options.first_index + options.count;
  try {
    for (int t = 0; t < options.threads; ++t) s.threads.emplace_back([&s] { s.run_producer(); });
  } catch (...) {
    s.stop_and_join();  // threads already started must not outlive a failed constructor
    throw;
  }
}

BatchQueueCore::~BatchQueueCore() { state_->stop_and_join(); }

std::shared_ptr<void> BatchQueueCore::pop() {
  State& s = *state_;
  State::Slot slot;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    if (s.consumer_error) std::rethrow_exception(s.consumer_error);
    if (s.next_pop >= s.end) {
      throw Error("batch queue", "all batches up to index " + std::to_string(s.end - 1) + " were already taken");
    }
    s.changed.wait(lock, [&s] { return s.stopped || s.ready.count(s.next_pop) > 0; });
    auto it = s.ready.find(s.next_pop);
    if (it == s.ready.end())
      throw Error("batch queue", "stopped while waiting for batch " + std::to_string(s.next_pop));
    slot = std::move(it->second);
    s.ready.erase(it);
    ++s.next_pop;
    if (slot.error) s.consumer_error = slot.error;
  }
  s.changed.notify_all();  // room for one more batch
  if (slot.error) std::rethrow_exception(slot.error);
  return std::move(slot.item);
}

void BatchQueueCore::stop() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopped = true;
  }
  state_->changed.notify_all();
}

int64_t BatchQueueCore::next_index() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->next_pop;
}

}  // namespace nnseg
