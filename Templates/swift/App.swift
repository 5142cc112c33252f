// {{name}}: one Swift function per export of wit/world.wit. build.sh generates the glue that
// calls them (support/bindgen.py → .build-wasm/Bindings.swift), so strings, lists, records,
// options and results arrive and leave as Swift values. README.md lists the type mapping.

func greet(name: String) -> String {
    "Hello, \(name)!"
}

func add(a: UInt32, b: UInt32) -> UInt32 {
    a &+ b
}

func move(p: Point, dx: Int32, dy: Int32) -> Point {
    Point(x: p.x &+ dx, y: p.y &+ dy)
}

func divide(a: Int32, b: Int32) -> WITResult<Int32, String> {
    if b == 0 { return .err("division by zero") }
    if a == .min && b == -1 { return .err("overflow") }
    return .ok(a / b)
}

func words(text: String) -> [String] {
    text.split(separator: " ").map { String($0) }
}

func find(items: [String], needle: String) -> UInt32? {
    items.firstIndex(of: needle).map { UInt32($0) }
}
