// The cores this process may use: the affinity mask (taskset, cpusets) and the cgroup CPU
// quota (containers with --cpus): threads beyond that only take turns on the same cores, and a
// chunk held by a thread that waits its turn holds up the whole job.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "pool.h"

namespace theanode {
namespace {

int affinityCores() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

// quota / period rounded up, or 0 when there is no limit (or it cannot be read).
int coresOfQuota(double quota, double period) {
  if (!(quota > 0) || !(period > 0)) return 0;
  return std::max(1, static_cast<int>(std::ceil(quota / period - 1e-9)));
}

// This process's cgroup path for `controller` (v1), or for the unified hierarchy when empty.
std::string cgroupPath(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    // "id:controllers:path"
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string list = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controller.empty() ? list.empty() : ("," + list + ",").find("," + controller + ",") != std::string::npos) return path;
  }
  return "";
}

// The quota in cores of cgroup v2 (cpu.max: "max 100000" or "200000 100000"), then v1
// (cpu.cfs_quota_us, -1 when unlimited); checked at the process's own group and at the root
// of the mount (inside a container the group is often shown as "/").
int cgroupCores() {
  int best = 0;
  auto consider = [&](int n) {
    if (n > 0) best = best ? std::min(best, n) : n;
  };
  for (const std::string& dir : {"/sys/fs/cgroup" + cgroupPath(""), std::string("/sys/fs/cgroup")}) {
    std::ifstream f(dir + "/cpu.max");
    std::string quota;
    double period = 0;
    if (f >> quota >> period && quota != "max") consider(coresOfQuota(std::atof(quota.c_str()), period));
  }
  const std::string v1 = cgroupPath("cpu");
  for (const std::string& mount : {std::string("/sys/fs/cgroup/cpu"), std::string("/sys/fs/cgroup/cpu,cpuacct")}) {
    for (const std::string& dir : {mount + v1, mount}) {
      std::ifstream q(dir + "/cpu.cfs_quota_us"), p(dir + "/cpu.cfs_period_us");
      double quota = 0, period = 0;
      if (q >> quota && p >> period) consider(coresOfQuota(quota, period));
    }
  }
  return best;
}

}  // namespace

int usableCores() {
  static const int cores = [] {
    const int quota = cgroupCores();
    const int affinity = affinityCores();
    return quota > 0 ? std::min(quota, affinity) : affinity;
  }();
  return cores;
}

int currentCpu() {
#if defined(__linux__)
  return sched_getcpu();  // the vDSO: tens of nanoseconds
#else
  return -1;
#endif
}

}  // namespace theanode
