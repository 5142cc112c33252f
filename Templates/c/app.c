// {{name}}: one C function per export of wit/world.wit, named app_<export>. build.sh
// generates bindings.h (the types and these prototypes) and bindings.c (the exported entry
// points that call them) with support/bindgen.py. README.md lists the type mapping.
#include <stdlib.h>
#include <string.h>

#include "bindings.h"

app_string_t app_greet(app_string_t name) {
    size_t len = 7 + name.len + 1;
    uint8_t *text = malloc(len);
    if (!text) abort();
    memcpy(text, "Hello, ", 7);
    memcpy(text + 7, name.ptr, name.len);
    text[len - 1] = '!';
    return (app_string_t){ text, len };
}

uint32_t app_add(uint32_t a, uint32_t b) {
    return a + b;  // unsigned arithmetic wraps
}

app_point_t app_move(app_point_t p, int32_t dx, int32_t dy) {
    return (app_point_t){ (int32_t)((uint32_t)p.x + (uint32_t)dx), (int32_t)((uint32_t)p.y + (uint32_t)dy) };
}

app_result_s32_string_t app_divide(int32_t a, int32_t b) {
    app_result_s32_string_t r = { .is_err = true };
    if (b == 0) {
        r.val.err = app_string_from("division by zero");
    } else if (a == INT32_MIN && b == -1) {
        r.val.err = app_string_from("overflow");
    } else {
        r.is_err = false;
        r.val.ok = a / b;
    }
    return r;
}

app_list_string_t app_words(app_string_t text) {
    app_list_string_t words = { malloc(sizeof(app_string_t) * (text.len / 2 + 1)), 0 };
    if (!words.ptr) abort();
    size_t start = 0;
    for (size_t i = 0; i <= text.len; i++) {
        if (i == text.len || text.ptr[i] == ' ') {
            if (i > start) words.ptr[words.len++] = app_string_copy(text.ptr + start, i - start);
            start = i + 1;
        }
    }
    return words;
}

app_option_u32_t app_find(app_list_string_t items, app_string_t needle) {
    for (size_t i = 0; i < items.len; i++) {
        if (items.ptr[i].len == needle.len && memcmp(items.ptr[i].ptr, needle.ptr, needle.len) == 0) {
            return (app_option_u32_t){ true, (uint32_t)i };
        }
    }
    return (app_option_u32_t){ false, 0 };
}
