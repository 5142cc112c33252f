;; A component that declares `privasys:enclave-os/https@0.1.0` `fetch` with a type no known
;; shape has: the host must refuse it at load, naming the declared type.
(component
  (import "privasys:enclave-os/https@0.1.0" (instance $https
    (export "fetch" (func (param "url" string) (result string)))))
  (core module $m (func (export "f")))
  (core instance $i (instantiate $m))
  (func $f (canon lift (core func $i "f")))
  (export "noop" (func $f))
)
