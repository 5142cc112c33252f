// Each export returns its argument.
func echoBool(x: Bool) -> Bool { x }
func echoU8(x: UInt8) -> UInt8 { x }
func echoS8(x: Int8) -> Int8 { x }
func echoU16(x: UInt16) -> UInt16 { x }
func echoS16(x: Int16) -> Int16 { x }
func echoU32(x: UInt32) -> UInt32 { x }
func echoS32(x: Int32) -> Int32 { x }
func echoU64(x: UInt64) -> UInt64 { x }
func echoS64(x: Int64) -> Int64 { x }
func echoF32(x: Float) -> Float { x }
func echoF64(x: Double) -> Double { x }
func echoChar(x: Unicode.Scalar) -> Unicode.Scalar { x }
func echoString(x: String) -> String { x }
func echoBytes(x: [UInt8]) -> [UInt8] { x }
func echoStrings(x: [String]) -> [String] { x }
func echoPoints(x: [Point]) -> [Point] { x }
func echoPoint(x: Point) -> Point { x }
func echoTriple(x: (UInt8, String, Float)) -> (UInt8, String, Float) { x }
func echoShape(x: Shape) -> Shape { x }
func echoNum(x: Num) -> Num { x }
func echoColor(x: Color) -> Color { x }
func echoPerms(x: Perms) -> Perms { x }
func echoTen(x: Ten) -> Ten { x }
func echoWide(x: Wide) -> Wide { x }
func echoOptU32(x: UInt32?) -> UInt32? { x }
func echoOptString(x: String?) -> String? { x }
func echoOptOpt(x: Int16??) -> Int16?? { x }
func echoRes(x: WITResult<String, UInt32>) -> WITResult<String, UInt32> { x }
func echoResOk(x: WITResult<UInt64, Void>) -> WITResult<UInt64, Void> { x }
func echoResErr(x: WITResult<Void, String>) -> WITResult<Void, String> { x }
func echoResNone(x: WITResult<Void, Void>) -> WITResult<Void, Void> { x }
func echoNested(x: Nested) -> Nested { x }
func echoBig(x: Big) -> Big { x }
func echoMatrix(x: [[Double]]) -> [[Double]] { x }
func spill(a0: UInt8, a1: UInt32, a2: Int64, a3: Float, a4: Double, a5: String, a6: Bool, a7: UInt8, a8: UInt32, a9: Int64, a10: Float, a11: Double, a12: String, a13: Bool, a14: UInt8, a15: UInt32, a16: Int64) -> (UInt8, UInt32, Int64, Float, Double, String, Bool, UInt8, UInt32, Int64, Float, Double, String, Bool, UInt8, UInt32, Int64) {
    (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16)
}
