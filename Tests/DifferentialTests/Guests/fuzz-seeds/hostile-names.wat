;; Fuzz seed: a name section whose function, local and label names point far outside the module
;; (index 0x3FFFFFFF and u32::MAX), beside a trapping export. WasmKit 0.4.2 indexed its function
;; table with these without a bounds check when it symbolicated a trap; our loader strips custom
;; sections, and the mutants of this seed keep checking that.
(component
  (core module
    (func (export "boom") (result i32) unreachable)
    (func (export "fine") (param i32) (result i32) (local.get 0))
    ;; subsection 0: module name "m"; 1: function names {0x3FFFFFFF: "x", 0: "f"};
    ;; 2: local names {0xFFFFFFFF: {0x3FFFFFFF: "y"}}
    (@custom "name" (after code)
      "\00\02\01m"
      "\01\0b\02\ff\ff\ff\ff\03\01x\00\01f"
      "\02\0e\01\ff\ff\ff\ff\0f\01\ff\ff\ff\ff\03\01y")
    (@custom ".debug_info" "\ff\ff\ff\ff\00\01\02\03"))
  (core instance (instantiate 0))
  (alias core export 0 "boom" (core func))
  (alias core export 0 "fine" (core func))
  (type (func (result u32)))
  (type (func (param "x" u32) (result u32)))
  (func (type 0) (canon lift (core func 0)))
  (func (type 1) (canon lift (core func 1)))
  (export "boom" (func 0))
  (export "fine" (func 1)))
