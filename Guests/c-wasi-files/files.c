// A wasm32-wasi reactor in plain C over wasi-libc, with the component's canonical-ABI glue
// written by hand (what wit-bindgen's C generator would emit for wit/world.wit). Built by
// build.sh; the POSIX calls go through the WASI preview 1 adapter to WASI 0.2.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXPORT(name) __attribute__((export_name(name)))

// ---- canonical ABI helpers -------------------------------------------------------------

EXPORT("cabi_realloc")
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
    (void)old_size; (void)align;   // malloc aligns to 16, enough for every WIT type
    if (new_size == 0) return (void *)align;
    void *p = realloc(old, new_size);
    if (!p) abort();
    return p;
}

// Frees an argument the host allocated through cabi_realloc: an empty one was not allocated
// (cabi_realloc answers a zero-size request with the alignment, as wit-bindgen's glue does).
static void free_argument(void *ptr, size_t len) { if (len) free(ptr); }

// Copies (ptr, len) from the caller into a NUL-terminated string and frees the argument.
static char *take_string(char *ptr, size_t len) {
    char *s = malloc(len + 1);
    if (!s) abort();
    memcpy(s, ptr, len);
    s[len] = 0;
    free_argument(ptr, len);
    return s;
}

// One result area per export call, read by the host before the next call.
static _Alignas(8) uint8_t ret_area[16];

static uint8_t *ok_none(void) { memset(ret_area, 0, sizeof ret_area); return ret_area; }

// err(string) of a result whose payload sits at `offset` (4, or 8 when the ok type is 64-bit).
static uint8_t *err_text_at(const char *what, size_t offset) {
    const char *detail = strerror(errno);
    size_t a = strlen(what), b = strlen(detail);
    char *text = malloc(a + 2 + b);
    if (!text) abort();
    memcpy(text, what, a); memcpy(text + a, ": ", 2); memcpy(text + a + 2, detail, b);
    ret_area[0] = 1;
    *(uint32_t *)(ret_area + offset) = (uint32_t)(uintptr_t)text;
    *(uint32_t *)(ret_area + offset + 4) = (uint32_t)(a + 2 + b);
    return ret_area;
}

static uint8_t *err_text(const char *what) { return err_text_at(what, 4); }

static uint8_t *ok_u32(uint32_t v) { ret_area[0] = 0; *(uint32_t *)(ret_area + 4) = v; return ret_area; }
static uint8_t *ok_u64(uint64_t v) { ret_area[0] = 0; *(uint64_t *)(ret_area + 8) = v; return ret_area; }
static uint8_t *ok_string(char *s, size_t len) {
    ret_area[0] = 0;
    *(uint32_t *)(ret_area + 4) = (uint32_t)(uintptr_t)s;
    *(uint32_t *)(ret_area + 8) = (uint32_t)len;
    return ret_area;
}

// ---- the constructor --------------------------------------------------------------------

static int clock_after_2020, random_filled, root_opened;

// Runs from _initialize (wasi-libc's __wasm_call_ctors), i.e. while the instance is made.
__attribute__((constructor))
static void probe_at_startup(void) {
    struct timespec now;
    clock_after_2020 = clock_gettime(CLOCK_REALTIME, &now) == 0 && now.tv_sec > 1577836800;
    uint8_t bytes[32] = {0};
    if (getentropy(bytes, sizeof bytes) == 0) {
        for (size_t i = 0; i < sizeof bytes; i++) random_filled |= bytes[i] != 0;
    }
    DIR *root = opendir("/");
    root_opened = root != NULL;
    if (root) closedir(root);
#ifdef CONSTRUCTOR_WRITES
    // The variant c-wasi-ctor-writes.wasm also writes while being instantiated: one byte per
    // instantiation appended to /instantiations.
    int fd = open("/instantiations", O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) { write(fd, "i", 1); close(fd); }
#endif
}

EXPORT("startup-report")
uint8_t *startup_report(void) {
    ret_area[0] = (uint8_t)clock_after_2020;
    ret_area[1] = (uint8_t)random_filled;
    ret_area[2] = (uint8_t)root_opened;
    return ret_area;
}

// ---- files ------------------------------------------------------------------------------

static uint8_t *write_with(char *path_ptr, size_t path_len, char *data_ptr, size_t data_len, int flags, int report_size) {
    char *path = take_string(path_ptr, path_len);
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    free(path);
    if (fd < 0) { free_argument(data_ptr, data_len); return err_text("open"); }
    ssize_t written = write(fd, data_ptr, data_len);
    free_argument(data_ptr, data_len);
    if (written < 0) { close(fd); return err_text("write"); }
    struct stat st;
    if (report_size && fstat(fd, &st) != 0) { close(fd); return err_text("fstat"); }
    if (close(fd) != 0) return err_text("close");
    return ok_u32(report_size ? (uint32_t)st.st_size : (uint32_t)written);
}

EXPORT("write-file")
uint8_t *write_file(char *p, size_t pl, char *d, size_t dl) { return write_with(p, pl, d, dl, O_TRUNC, 0); }

EXPORT("append-file")
uint8_t *append_file(char *p, size_t pl, char *d, size_t dl) { return write_with(p, pl, d, dl, O_APPEND, 1); }

EXPORT("read-file")
uint8_t *read_file(char *p, size_t pl) {
    char *path = take_string(p, pl);
    int fd = open(path, O_RDONLY);
    free(path);
    if (fd < 0) return err_text("open");
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len == cap) { cap *= 2; buf = realloc(buf, cap); if (!buf) abort(); }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0) { free(buf); close(fd); return err_text("read"); }
        if (n == 0) break;
        len += (size_t)n;
    }
    close(fd);
    return ok_string(buf, len);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

EXPORT("list-dir")
uint8_t *list_dir(char *p, size_t pl) {
    char *path = take_string(p, pl);
    DIR *dir = opendir(path);
    free(path);
    if (!dir) return err_text("opendir");
    size_t count = 0, cap = 8;
    char **names = malloc(cap * sizeof *names);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, "..")) continue;
        if (count == cap) { cap *= 2; names = realloc(names, cap * sizeof *names); if (!names) abort(); }
        names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, count, sizeof *names, by_name);
    // list<string>: (ptr, len) of an array of (ptr, len) pairs.
    uint32_t *pairs = malloc(count * 8 + 1);
    for (size_t i = 0; i < count; i++) {
        pairs[2 * i] = (uint32_t)(uintptr_t)names[i];
        pairs[2 * i + 1] = (uint32_t)strlen(names[i]);
    }
    free(names);
    return ok_string((char *)pairs, count);
}

static uint8_t *unit(int rc, const char *what) { return rc == 0 ? ok_none() : err_text(what); }

EXPORT("make-dir")
uint8_t *make_dir(char *p, size_t pl) { char *s = take_string(p, pl); int rc = mkdir(s, 0755); free(s); return unit(rc, "mkdir"); }

EXPORT("remove-file")
uint8_t *remove_file(char *p, size_t pl) { char *s = take_string(p, pl); int rc = unlink(s); free(s); return unit(rc, "unlink"); }

EXPORT("remove-dir")
uint8_t *remove_dir(char *p, size_t pl) { char *s = take_string(p, pl); int rc = rmdir(s); free(s); return unit(rc, "rmdir"); }

EXPORT("rename")
uint8_t *rename_path(char *a, size_t al, char *b, size_t bl) {
    char *from = take_string(a, al), *to = take_string(b, bl);
    int rc = rename(from, to);
    free(from); free(to);
    return unit(rc, "rename");
}

EXPORT("file-size")
uint8_t *file_size(char *p, size_t pl) {
    char *path = take_string(p, pl);
    struct stat st;
    int rc = stat(path, &st);
    free(path);
    return rc == 0 ? ok_u64((uint64_t)st.st_size) : err_text_at("stat", 8);
}
