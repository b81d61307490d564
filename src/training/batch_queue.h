// Background producer threads with a bounded, index-ordered queue (spec/training.md §7.5): batch i is made by
// produce(i) on some producer thread and handed out in index order, so the sequence never depends on thread timing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace nnseg {

struct BatchQueueOptions {
  // Producer threads. Default 2: the loader alone (one 205³ x 4-channel batch of 2) is memory-bound and one thread
  // keeps up with a GPU step; the trainer raises it when produce() also augments, which is the costly part.
  int threads = 2;
  // Batches made ahead of the consumer (done or in progress), at least 1; 0 means 2 per thread, as v1's two
  // cached batches per augmentation worker. Bounds memory: a 205³ loader batch of 2 x 4 channels is 290 MB.
  int capacity = 0;
  int64_t first_index = 0;  // index of the first batch (e.g. epoch * iterations when a run continues)
  int64_t count = -1;       // batches in all; -1: unbounded (producers stop only at shutdown)
};

// The untyped machinery of BatchQueue<T> (threads, ordering, shutdown, errors); items travel as shared_ptr<void>.
class BatchQueueCore {
 public:
  using Produce = std::function<std::shared_ptr<void>(int64_t index)>;
  BatchQueueCore(Produce produce, const BatchQueueOptions& options);
  ~BatchQueueCore();  // stop() and join
  BatchQueueCore(const BatchQueueCore&) = delete;
  BatchQueueCore& operator=(const BatchQueueCore&) = delete;

  // Waits for the next batch in index order. Rethrows the exception its producer threw (and, after a failure,
  // throws that same exception on every later pop). Error when all `count` batches were taken or after stop().
  std::shared_ptr<void> pop();
  // Producers finish the batch in hand and exit; a blocked pop() throws. Idempotent; the destructor calls it.
  void stop();
  int64_t next_index() const;  // index the next pop() returns

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Typed front end: `produce(i)` returns batch i (a DataLoader3D::make_batch, or loading plus augmentation).
// produce must be safe to call from several threads at once. Destruction stops and joins the producers without
// waiting for batches nobody will take.
template <typename T>
class BatchQueue {
 public:
  BatchQueue(std::function<T(int64_t index)> produce, const BatchQueueOptions& options)
      : core_([produce = std::move(produce)](
                  int64_t index) -> std::shared_ptr<void> { return std::make_shared<T>(produce(index)); },
              options) {}

  // The next batch in index order; see BatchQueueCore::pop.
  T pop() { return std::move(*std::static_pointer_cast<T>(core_.pop())); }
  void stop() { core_.stop(); }
  int64_t next_index() const { return core_.next_index(); }

 private:
  BatchQueueCore core_;
};

}  // namespace nnseg
