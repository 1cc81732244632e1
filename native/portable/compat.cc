// Linked into the shipped binary only (THEANODE_PORTABLE): references to symbols that the build
// machine's glibc and libstdc++ export at new versions are sent (with ld --wrap) to the oldest
// version of the same function, so the binary also loads where only those exist. Each function
// here is the same one under an older version tag, not a reimplementation.
#include <cmath>
#include <mutex>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <new>
#include <pthread.h>

#if defined(__x86_64__)
#define THEANODE_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define THEANODE_GLIBC_BASE "GLIBC_2.17"
#else
#error "no glibc base version known for this architecture"
#endif

extern "C" {
// exp, log, pow, exp2 and log2 got new versions in glibc 2.29 (faster code, no SVID error handling).
double theanode_old_exp(double);
double theanode_old_log(double);
double theanode_old_pow(double, double);
double theanode_old_exp2(double);
double theanode_old_log2(double);
__asm__(".symver theanode_old_exp,exp@" THEANODE_GLIBC_BASE);
__asm__(".symver theanode_old_log,log@" THEANODE_GLIBC_BASE);
__asm__(".symver theanode_old_pow,pow@" THEANODE_GLIBC_BASE);
__asm__(".symver theanode_old_exp2,exp2@" THEANODE_GLIBC_BASE);
__asm__(".symver theanode_old_log2,log2@" THEANODE_GLIBC_BASE);
double __wrap_exp(double x) { return theanode_old_exp(x); }
double __wrap_log(double x) { return theanode_old_log(x); }
double __wrap_pow(double x, double y) { return theanode_old_pow(x, y); }
double __wrap_exp2(double x) { return theanode_old_exp2(x); }
double __wrap_log2(double x) { return theanode_old_log2(x); }

// glibc 2.34 moved libpthread into libc and gave its functions a new version.
int theanode_old_pthread_once(pthread_once_t*, void (*)());
__asm__(".symver theanode_old_pthread_once,pthread_once@" THEANODE_GLIBC_BASE);
int __wrap_pthread_once(pthread_once_t* once, void (*init)()) { return theanode_old_pthread_once(once, init); }
int theanode_old_pthread_mutex_trylock(pthread_mutex_t*);
__asm__(".symver theanode_old_pthread_mutex_trylock,pthread_mutex_trylock@" THEANODE_GLIBC_BASE);
int __wrap_pthread_mutex_trylock(pthread_mutex_t* m) { return theanode_old_pthread_mutex_trylock(m); }

// GCC 12's libstdc++ re-exported condition_variable::wait at GLIBCXX_3.4.30; 3.4.11 is the same.
void theanode_old_cv_wait(std::condition_variable*, std::unique_lock<std::mutex>&);
__asm__(".symver theanode_old_cv_wait,_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");
void __wrap__ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE(std::condition_variable* cv, std::unique_lock<std::mutex>& lock) {
  theanode_old_cv_wait(cv, lock);
}

// GCC 11's <exception> copies an exception_ptr inline through _M_addref, exported only since
// CXXABI_1.3.13. The out-of-line copy constructor (CXXABI_1.3.3) takes the same reference: copy
// into storage that is never destroyed, which leaves exactly one more reference.
void theanode_old_eptr_copy(void* to, const std::exception_ptr* from);
__asm__(".symver theanode_old_eptr_copy,_ZNSt15__exception_ptr13exception_ptrC1ERKS0_@CXXABI_1.3.3");
void __wrap__ZNSt15__exception_ptr13exception_ptr9_M_addrefEv(std::exception_ptr* self) {
  alignas(std::exception_ptr) unsigned char kept[sizeof(std::exception_ptr)];
  theanode_old_eptr_copy(kept, self);
}

// _M_release likewise: destroying a bitwise copy drops one reference (the copy's pointer is
// the same; the object itself is left as it was, as _M_release leaves it).
void theanode_old_eptr_destroy(void* ptr);
__asm__(".symver theanode_old_eptr_destroy,_ZNSt15__exception_ptr13exception_ptrD1Ev@CXXABI_1.3.3");
void __wrap__ZNSt15__exception_ptr13exception_ptr10_M_releaseEv(std::exception_ptr* self) {
  alignas(std::exception_ptr) unsigned char copy[sizeof(std::exception_ptr)];
  std::memcpy(copy, static_cast<void*>(self), sizeof copy);
  theanode_old_eptr_destroy(copy);
}

// Thrown by `new T[n]` when n is too large; the helper only exists since GCC 11's libstdc++.
[[noreturn]] void __wrap__ZSt28__throw_bad_array_new_lengthv() { throw std::bad_array_new_length(); }
}
