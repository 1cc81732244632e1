// The size of this core's L2 cache in bytes, or -1 when the system does not say. glibc answers
// through sysconf; macOS through sysctl; elsewhere the caller's default applies.
#pragma once
#include <unistd.h>

#include <cstdint>
#if defined(__APPLE__)
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

namespace theanode {

inline long l2CacheBytes() {
#if defined(_SC_LEVEL2_CACHE_SIZE)
  return sysconf(_SC_LEVEL2_CACHE_SIZE);
#elif defined(__APPLE__)
  int64_t bytes = 0;
  size_t len = sizeof bytes;
  return sysctlbyname("hw.l2cachesize", &bytes, &len, nullptr, 0) == 0 ? static_cast<long>(bytes) : -1;
#else
  return -1;
#endif
}

}  // namespace theanode
