#include "bindings.h"

bool app_echo_bool(bool x) { return x; }
uint8_t app_echo_u8(uint8_t x) { return x; }
int8_t app_echo_s8(int8_t x) { return x; }
uint16_t app_echo_u16(uint16_t x) { return x; }
int16_t app_echo_s16(int16_t x) { return x; }
uint32_t app_echo_u32(uint32_t x) { return x; }
int32_t app_echo_s32(int32_t x) { return x; }
uint64_t app_echo_u64(uint64_t x) { return x; }
int64_t app_echo_s64(int64_t x) { return x; }
float app_echo_f32(float x) { return x; }
double app_echo_f64(double x) { return x; }
uint32_t app_echo_char(uint32_t x) { return x; }
app_string_t app_echo_string(app_string_t x) { return x; }
app_list_u8_t app_echo_bytes(app_list_u8_t x) { return x; }
app_list_string_t app_echo_strings(app_list_string_t x) { return x; }
app_list_point_t app_echo_points(app_list_point_t x) { return x; }
app_point_t app_echo_point(app_point_t x) { return x; }
app_tuple3_u8_string_f32_t app_echo_triple(app_tuple3_u8_string_f32_t x) { return x; }
app_shape_t app_echo_shape(app_shape_t x) { return x; }
app_num_t app_echo_num(app_num_t x) { return x; }
app_color_t app_echo_color(app_color_t x) { return x; }
app_perms_t app_echo_perms(app_perms_t x) { return x; }
app_ten_t app_echo_ten(app_ten_t x) { return x; }
app_wide_t app_echo_wide(app_wide_t x) { return x; }
app_option_u32_t app_echo_opt_u32(app_option_u32_t x) { return x; }
app_option_string_t app_echo_opt_string(app_option_string_t x) { return x; }
app_option_option_s16_t app_echo_opt_opt(app_option_option_s16_t x) { return x; }
app_result_string_u32_t app_echo_res(app_result_string_u32_t x) { return x; }
app_result_u64_void_t app_echo_res_ok(app_result_u64_void_t x) { return x; }
app_result_void_string_t app_echo_res_err(app_result_void_string_t x) { return x; }
app_result_void_void_t app_echo_res_none(app_result_void_void_t x) { return x; }
app_nested_t app_echo_nested(app_nested_t x) { return x; }
app_big_t app_echo_big(app_big_t x) { return x; }
app_list_list_f64_t app_echo_matrix(app_list_list_f64_t x) { return x; }
app_tuple17_u8_u32_s64_f32_f64_string_bool_u8_u32_s64_f32_f64_string_bool_u8_u32_s64_t app_spill(uint8_t a0, uint32_t a1, int64_t a2, float a3, double a4, app_string_t a5, bool a6, uint8_t a7, uint32_t a8, int64_t a9, float a10, double a11, app_string_t a12, bool a13, uint8_t a14, uint32_t a15, int64_t a16) {
    return (app_tuple17_u8_u32_s64_f32_f64_string_bool_u8_u32_s64_f32_f64_string_bool_u8_u32_s64_t){ a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16 };
}
