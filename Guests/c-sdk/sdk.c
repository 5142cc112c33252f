// A C component over the platform SDK, with the canonical-ABI glue for its imports and exports
// written by hand (what wit-bindgen's C generator emits for wit/world.wit). Every SDK function
// used here returns result<T, string>, lowered through a return area: a u8 discriminant, then
// at offset 4 the payload's (pointer, length).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

IMPORT("privasys:enclave-os/attestation@0.1.0", "set-attestation-extension")
extern void sdk_set_attestation_extension(uint32_t arc, const uint8_t *value, size_t len, uint8_t *ret);
IMPORT("privasys:enclave-os/sealing@0.1.0", "seal")
extern void sdk_seal(const uint8_t *data, size_t len, const uint8_t *aad, size_t aad_len, uint8_t *ret);
IMPORT("privasys:enclave-os/sealing@0.1.0", "unseal")
extern void sdk_unseal(const uint8_t *data, size_t len, const uint8_t *aad, size_t aad_len, uint8_t *ret);
IMPORT("privasys:enclave-os/keystore@0.1.0", "generate-signing-key")
extern void sdk_generate_signing_key(const char *name, size_t len, int32_t algorithm, uint8_t *ret);
IMPORT("privasys:enclave-os/keystore@0.1.0", "persist-key")
extern void sdk_persist_key(const char *name, size_t len, uint8_t *ret);
IMPORT("privasys:enclave-os/keystore@0.1.0", "load-key")
extern void sdk_load_key(const char *name, size_t len, uint8_t *ret);
IMPORT("privasys:enclave-os/keystore@0.1.0", "export-public-key")
extern void sdk_export_public_key(const char *name, size_t len, uint8_t *ret);
IMPORT("privasys:enclave-os/crypto@0.1.0", "sign")
extern void sdk_sign(const char *name, size_t len, int32_t algorithm, const uint8_t *data, size_t data_len, uint8_t *ret);

// The host allocates results (lists, strings) through this; the guest owns them afterwards.
EXPORT("cabi_realloc")
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
    (void)old_size;
    if (new_size == 0) return (void *)align;
    void *p = realloc(old, new_size);
    if (!p) abort();
    return p;
}

static _Alignas(8) uint8_t ret_area[12];

// Frees an argument the host allocated through cabi_realloc: an empty one was not allocated
// (cabi_realloc answers a zero-size request with the alignment, as wit-bindgen's glue does).
static void free_argument(void *ptr, size_t len) { if (len) free(ptr); }

static int failed(void) { return ret_area[0] != 0; }

EXPORT("attest")
uint8_t *attest(uint32_t arc, uint8_t *value, size_t len) {
    sdk_set_attestation_extension(arc, value, len, ret_area);
    free_argument(value, len);
    return ret_area;
}

EXPORT("seal")
uint8_t *seal(uint8_t *data, size_t len, uint8_t *aad, size_t aad_len) {
    sdk_seal(data, len, aad, aad_len, ret_area);
    free_argument(data, len); free_argument(aad, aad_len);
    return ret_area;
}

EXPORT("unseal")
uint8_t *unseal(uint8_t *data, size_t len, uint8_t *aad, size_t aad_len) {
    sdk_unseal(data, len, aad, aad_len, ret_area);
    free_argument(data, len); free_argument(aad, aad_len);
    return ret_area;
}

EXPORT("seal-round-trip")
uint8_t *seal_round_trip(uint8_t *data, size_t len, uint8_t *aad, size_t aad_len) {
    sdk_seal(data, len, aad, aad_len, ret_area);
    free_argument(data, len);
    if (failed()) { free_argument(aad, aad_len); return ret_area; }
    uint8_t *sealed = (uint8_t *)(uintptr_t)*(uint32_t *)(ret_area + 4);
    size_t sealed_len = *(uint32_t *)(ret_area + 8);
    sdk_unseal(sealed, sealed_len, aad, aad_len, ret_area);
    free(sealed); free_argument(aad, aad_len);
    return ret_area;
}

EXPORT("make-key")
uint8_t *make_key(char *name, size_t len) {
    sdk_generate_signing_key(name, len, 0 /* ecdsa-p256-sha256 */, ret_area);
    if (!failed()) sdk_persist_key(name, len, ret_area);
    if (!failed()) sdk_export_public_key(name, len, ret_area);
    free_argument(name, len);
    return ret_area;
}

EXPORT("sign-with")
uint8_t *sign_with(char *name, size_t len, uint8_t *data, size_t data_len) {
    sdk_load_key(name, len, ret_area);
    if (!failed()) sdk_sign(name, len, 0, data, data_len, ret_area);
    free_argument(name, len); free_argument(data, data_len);
    return ret_area;
}
