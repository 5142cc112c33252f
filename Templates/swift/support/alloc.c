// Minimal runtime shared by our Embedded Swift guests: a bump allocator that
// backs both the canonical ABI's `cabi_realloc` and Embedded Swift's malloc
// needs, plus the handful of libc symbols the Swift compiler may emit calls to.
// Memory is never freed: every call runs in a fresh instance, so a bump
// allocator is both correct and the smallest possible implementation.
#include <stddef.h>
#include <stdint.h>

extern unsigned char __heap_base;

static uintptr_t heap_top = 0;

static void *bump_alloc(size_t size, size_t align) {
    if (align < 8) align = 8;
    if (heap_top == 0) heap_top = (uintptr_t)&__heap_base;
    uintptr_t start = (heap_top + (align - 1)) & ~(uintptr_t)(align - 1);
    uintptr_t end = start + size;
    if (end < start) return NULL;  // address-space overflow
    uintptr_t limit = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > limit) {
        uintptr_t needed = (end - limit + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, needed) == (size_t)-1) return NULL;
    }
    heap_top = end;
    return (void *)start;
}

void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else if (d > s) {
        d += n;
        s += n;
        while (n--) *--d = *--s;
    }
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++) {
        if (*x != *y) return *x - *y;
    }
    return 0;
}

size_t strlen(const char *s) {
    const char *p = s;
    while (*p) p++;
    return (size_t)(p - s);
}

void *malloc(size_t size) { return bump_alloc(size, 8); }

void free(void *ptr) { (void)ptr; }

/// Allocation entry point for app.swift (Swift reserves the name `malloc`).
void *guest_alloc(size_t size) { return bump_alloc(size, 8); }

int posix_memalign(void **out, size_t align, size_t size) {
    void *p = bump_alloc(size, align);
    if (!p) return 12;  // ENOMEM
    *out = p;
    return 0;
}

/// Canonical ABI allocator: the host calls it to place strings and lists
/// (arguments) in guest memory. Growing copies the old contents.
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
    if (new_size == 0) return (void *)align;  // any aligned non-null pointer
    void *p = bump_alloc(new_size, align);
    if (!p) __builtin_trap();
    if (old && old_size) memcpy(p, old, old_size < new_size ? old_size : new_size);
    return p;
}
