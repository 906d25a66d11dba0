// RAII wrappers over CUDA memory, streams and events (see buffer.h).
#include "cuda/buffer.h"

#include <mutex>
#include <utility>
#include <vector>

#include "cuda/check.h"
#include "onyx/error.h"

namespace onyx::cuda {

// ---- Stream ----------------------------------------------------------------------------------------------------
Stream::Stream() { check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags"); }
Stream::~Stream() {
  if (stream_) cudaStreamDestroy(stream_);
}
Stream::Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    if (stream_) cudaStreamDestroy(stream_);
    stream_ = std::exchange(other.stream_, nullptr);
  }
  return *this;
}
void Stream::synchronize() const { check_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

// ---- DeviceBuffer ----------------------------------------------------------------------------------------------
DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes > 0) check_cuda(cudaMalloc(&ptr_, bytes), "cudaMalloc");
}
DeviceBuffer::~DeviceBuffer() {
  if (ptr_) cudaFree(ptr_);
}
DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (ptr_) cudaFree(ptr_);
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}
void DeviceBuffer::upload(const void* host, size_t bytes, cudaStream_t stream) {
  ONYX_CHECK(bytes <= bytes_, "DeviceBuffer::upload: ", bytes, " bytes into a buffer of ", bytes_);
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(ptr_, host, bytes, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync (host to device)");
}
void DeviceBuffer::download(void* host, size_t bytes, cudaStream_t stream) const {
  ONYX_CHECK(bytes <= bytes_, "DeviceBuffer::download: ", bytes, " bytes from a buffer of ", bytes_);
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(host, ptr_, bytes, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync (device to host)");
}
void DeviceBuffer::copy_from(const DeviceBuffer& src, size_t bytes, cudaStream_t stream) {
  ONYX_CHECK(bytes <= bytes_ && bytes <= src.bytes_, "DeviceBuffer::copy_from: ", bytes, " bytes between buffers of ",
             src.bytes_, " and ", bytes_);
  if (bytes == 0) return;
  check_cuda(cudaMemcpyAsync(ptr_, src.ptr_, bytes, cudaMemcpyDeviceToDevice, stream),
             "cudaMemcpyAsync (device to device)");
}
void DeviceBuffer::fill_zero(cudaStream_t stream) {
  if (bytes_ == 0) return;
  check_cuda(cudaMemsetAsync(ptr_, 0, bytes_, stream), "cudaMemsetAsync");
}

// ---- PinnedBuffer ----------------------------------------------------------------------------------------------
PinnedBuffer::PinnedBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes > 0) check_cuda(cudaMallocHost(&ptr_, bytes), "cudaMallocHost");
}
PinnedBuffer::~PinnedBuffer() {
  if (ptr_) cudaFreeHost(ptr_);
}
PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    if (ptr_) cudaFreeHost(ptr_);
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

// ---- EventTimer ------------------------------------------------------------------------------------------------
EventTimer::EventTimer() {
  check_cuda(cudaEventCreate(&start_), "cudaEventCreate");
  const cudaError_t e = cudaEventCreate(&stop_);
  if (e != cudaSuccess) {
    cudaEventDestroy(start_);
    check_cuda(e, "cudaEventCreate");
  }
}
EventTimer::~EventTimer() {
  cudaEventDestroy(start_);
  cudaEventDestroy(stop_);
}
void EventTimer::start(cudaStream_t stream) {
  check_cuda(cudaEventRecord(start_, stream), "cudaEventRecord");
  started_ = true;
  stopped_ = false;
}
void EventTimer::stop(cudaStream_t stream) {
  ONYX_CHECK(started_, "EventTimer::stop before start");
  check_cuda(cudaEventRecord(stop_, stream), "cudaEventRecord");
  stopped_ = true;
}
float EventTimer::elapsed_ms() {
  ONYX_CHECK(started_ && stopped_, "EventTimer::elapsed_ms needs start() and stop() first");
  check_cuda(cudaEventSynchronize(stop_), "cudaEventSynchronize");
  float ms = 0;
  check_cuda(cudaEventElapsedTime(&ms, start_, stop_), "cudaEventElapsedTime");
  return ms;
}

// ---- device limits ---------------------------------------------------------------------------------------------
const DeviceLimits& current_device_limits() {
  static std::mutex mutex;
  static std::vector<DeviceLimits*> cache;  // leaked on purpose: references stay valid for the process
  int device = 0;
  check_cuda(cudaGetDevice(&device), "cudaGetDevice");
  std::lock_guard<std::mutex> lock(mutex);
  if (static_cast<size_t>(device) >= cache.size()) cache.resize(static_cast<size_t>(device) + 1, nullptr);
  if (!cache[static_cast<size_t>(device)]) {
    cudaDeviceProp p{};
    check_cuda(cudaGetDeviceProperties(&p, device), "cudaGetDeviceProperties");
    auto* l = new DeviceLimits;
    l->device = device;
    l->sm_count = p.multiProcessorCount;
    l->sm_major = p.major;
    l->sm_minor = p.minor;
    l->shared_per_block = p.sharedMemPerBlock;
    l->l2_bytes = static_cast<size_t>(p.l2CacheSize);
    cache[static_cast<size_t>(device)] = l;
  }
  return *cache[static_cast<size_t>(device)];
}

}  // namespace onyx::cuda
