// Test-guest-only helpers: memory.grow and an opaque store, which Swift cannot express.
#include <stdint.h>

/// `memory.grow` for the `grow` export (Swift has no intrinsic for it).
int32_t guest_memory_grow(uint32_t pages) {
    return (int32_t)__builtin_wasm_memory_grow(0, pages);
}

/// An opaque store the optimiser cannot remove, so `spin` really loops.
volatile uint32_t guest_spin_counter = 0;
void guest_spin_step(void) { guest_spin_counter = guest_spin_counter + 1; }
