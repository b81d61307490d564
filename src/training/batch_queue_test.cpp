// Tests for BatchQueue: index order regardless of threads, bounded look-ahead, early shutdown without a hang,
// producer exceptions rethrown in the consumer, and DataLoader3D batches independent of the thread count.
#include "training/batch_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/error.h"
#include "preprocessing/preprocess_case.h"
#include "testing/temp_dir.h"
#include "training/data_loader.h"

namespace nnseg {
namespace {

using namespace std::chrono_literals;

BatchQueueOptions queue_options(int threads, int capacity = 0, int64_t count = -1) {
  BatchQueueOptions o;
  o.threads = threads;
  o.capacity = capacity;
  o.count = count;
  return o;
}

// Sleeps a pseudo-random 0-3 ms so that producers finish out of order.
void jitter(int64_t i) { std::this_thread::sleep_for(std::chrono::microseconds((i * 7919) % 4 * 1000)); }

TEST(BatchQueue, ReturnsBatchesInIndexOrder) {
  BatchQueue<int64_t> queue(
      [](int64_t i) {
        jitter(i);
        return i * 10;
      },
      queue_options(4));
  for (int64_t i = 0; i < 40; ++i) {
    EXPECT_EQ(queue.next_index(), i);
    EXPECT_EQ(queue.pop(), i * 10);
  }
}

TEST(BatchQueue, StartsAtFirstIndexAndStopsAfterCount) {
  BatchQueueOptions o = queue_options(2, 0, 3);
  o.first_index = 250;
  BatchQueue<int64_t> queue([](int64_t i) { return i; }, o);
  EXPECT_EQ(queue.pop(), 250);
  EXPECT_EQ(queue.pop(), 251);
  EXPECT_EQ(queue.pop(), 252);
  EXPECT_THROW(queue.pop(), Error);
}

TEST(BatchQueue, ProducesAtMostCapacityAhead) {
  std::atomic<int> produced{0};
  BatchQueue<int> queue(
      [&produced](int64_t) {
        ++produced;
        return 1;
      },
      queue_options(3, 2));
  for (int i = 0; i < 500 && produced.load() < 2; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(produced.load(), 2);  // three threads, but only two batches may be made ahead
  queue.pop();
  for (int i = 0; i < 500 && produced.load() < 3; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(produced.load(), 3);
}

TEST(BatchQueue, ConsumerStoppingEarlyDoesNotHang) {
  std::atomic<int> produced{0};
  const auto begin = std::chrono::steady_clock::now();
  {
    BatchQueue<std::vector<float>> queue(
        [&produced](int64_t i) {
          std::this_thread::sleep_for(2ms);
          ++produced;
          return std::vector<float>(1000, static_cast<float>(i));
        },
        queue_options(2, 4, 100));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(queue.pop().front(), static_cast<float>(i));
  }  // destructor joins while producers are blocked on the full queue
  EXPECT_LE(produced.load(), 3 + 4);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 20s);
}

TEST(BatchQueue, StopWakesAWaitingConsumer) {
  BatchQueue<int> queue(
      [](int64_t) {
        std::this_thread::sleep_for(500ms);
        return 0;
      },
      queue_options(1, 1));
  std::thread stopper([&queue] {
    std::this_thread::sleep_for(20ms);
    queue.stop();
  });
  EXPECT_THROW(queue.pop(), Error);  // batch 0 is still being made; pop gives up at stop()
  stopper.join();
}

TEST(BatchQueue, ProducerExceptionIsRethrownAtItsBatch) {
  BatchQueue<int64_t> queue(
      [](int64_t i) -> int64_t {
        jitter(i);
        if (i == 3) throw InputError("case_007.npy", "cannot read batch 3");
        return i;
      },
      queue_options(3));
  EXPECT_EQ(queue.pop(), 0);
  EXPECT_EQ(queue.pop(), 1);
  EXPECT_EQ(queue.pop(), 2);
  for (int attempt = 0; attempt < 2; ++attempt) {  // and again on every later pop
    try {
      queue.pop();
      FAIL() << "no exception";
    } catch (const InputError& e) {
      EXPECT_EQ(e.item(), "case_007.npy");
      EXPECT_EQ(std::string(e.what()), "cannot read batch 3");
    }
  }
}

TEST(BatchQueue, ExceptionInFirstBatchReachesFirstPop) {
  BatchQueue<int> queue([](int64_t) -> int { throw std::runtime_error("boom"); }, queue_options(2));
  EXPECT_THROW(queue.pop(), std::runtime_error);
}

TEST(BatchQueue, RejectsBadOptions) {
  auto produce = [](int64_t) { return 0; };
  EXPECT_THROW(BatchQueue<int>(produce, queue_options(0)), InputError);
  EXPECT_THROW(BatchQueue<int>(produce, queue_options(1, -1)), InputError);
  EXPECT_THROW(BatchQueue<int>(produce, queue_options(1, 0, -2)), InputError);
}

// DataLoader3D behind the queue: the batch sequence is the same with 1 or 3 producer threads.
TEST(BatchQueue, LoaderBatchesDoNotDependOnThreadCount) {
  testing::TempDir dir;
  for (int k = 0; k < 3; ++k) {
    PreprocessedCase pc;
    pc.data = Array4f({2, 9 + k, 10, 11 + k});
    for (size_t i = 0; i < pc.data.values.size(); ++i) pc.data.values[i] = static_cast<float>(i % 97) + k;
    pc.seg = Array4<int8_t>({1, 9 + k, 10, 11 + k});
    pc.seg.at(0, 4, 5, 6) = 1;
    pc.properties.class_locations = {{1, {{4, 5, 6}}}, {2, {}}};
    save_preprocessed_case(dir.path(), "case_" + std::to_string(k), pc);
  }
  DataLoaderOptions o;
  o.loader_patch_size = {12, 12, 12};
  o.patch_size = {8, 8, 8};
  o.batch_size = 3;
  const DataLoader3D loader(dir.path(), {"case_0", "case_1", "case_2"}, o);
  auto produce = [&loader](int64_t i) { return loader.make_batch(i); };
  BatchQueue<Batch> one(produce, queue_options(1));
  BatchQueue<Batch> three(produce, queue_options(3, 5));
  for (int64_t i = 0; i < 12; ++i) {
    const Batch a = one.pop();
    const Batch b = three.pop();
    const Batch direct = loader.make_batch(i);
    EXPECT_EQ(a.index, i);
    EXPECT_EQ(b.index, i);
    EXPECT_EQ(a.start, direct.start);
    EXPECT_EQ(b.start, direct.start);
    EXPECT_EQ(a.case_ids, b.case_ids);
    EXPECT_TRUE(a.data == b.data && a.seg == b.seg && b.data == direct.data);
  }
}

}  // namespace
}  // namespace nnseg
