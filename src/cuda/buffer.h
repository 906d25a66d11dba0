// RAII wrappers over CUDA memory, streams and events. Plain C++17 (a C++20 .cpp may include it). Every failing
// CUDA call throws onyx::Error (kRuntime) naming the call; a copy larger than a buffer throws kBadInput.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace onyx::cuda {

// A CUDA stream created non-blocking (it does not synchronize with the legacy default stream).
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(Stream&& other) noexcept;
  Stream& operator=(Stream&& other) noexcept;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  cudaStream_t get() const { return stream_; }
  // Blocks the host until the stream's work is done; throws on an asynchronous error of that work.
  void synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

// Device memory from cudaMalloc (256-byte aligned). Size 0 holds no allocation (data() is null).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() { return ptr_; }
  const void* data() const { return ptr_; }
  template <typename T>
  T* as() {
    return static_cast<T*>(ptr_);
  }
  template <typename T>
  const T* as() const {
    return static_cast<const T*>(ptr_);
  }
  size_t size() const { return bytes_; }

  // Asynchronous copies on `stream` (bytes from offset 0; host memory should be pinned for true overlap; pageable
  // memory works but the copy may be staged). Throw kBadInput when bytes > size().
  void upload(const void* host, size_t bytes, cudaStream_t stream);
  void download(void* host, size_t bytes, cudaStream_t stream) const;
  void copy_from(const DeviceBuffer& src, size_t bytes, cudaStream_t stream);
  void fill_zero(cudaStream_t stream);

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// Page-locked host memory from cudaMallocHost.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(size_t bytes);
  ~PinnedBuffer();
  PinnedBuffer(PinnedBuffer&& other) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void* data() { return ptr_; }
  const void* data() const { return ptr_; }
  template <typename T>
  T* as() {
    return static_cast<T*>(ptr_);
  }
  size_t size() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// Times GPU work on one stream: start(s) ... stop(s); elapsed_ms() waits for the stop event.
class EventTimer {
 public:
  EventTimer();
  ~EventTimer();
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;

  void start(cudaStream_t stream);
  void stop(cudaStream_t stream);
  // Milliseconds between the recorded start and stop; throws kBadInput when start/stop were not both recorded.
  float elapsed_ms();

 private:
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
  bool started_ = false;
  bool stopped_ = false;
};

// The current device's properties that kernels and wrappers size themselves by (cached per device).
struct DeviceLimits {
  int device = 0;
  int sm_count = 0;
  int sm_major = 0;
  int sm_minor = 0;
  size_t shared_per_block = 0;
  size_t l2_bytes = 0;
};
const DeviceLimits& current_device_limits();

}  // namespace onyx::cuda
