/// The one comparison used for every secret-derived value (decoded digests, crypt(3) output,
/// plain passwords). Its time depends on the lengths only, never on where the bytes differ.
public enum ConstantTime {
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        // Run over the longer input so a length mismatch costs as much as a content mismatch.
        var difference = UInt8(a.count == b.count ? 0 : 1)
        let length = max(a.count, b.count)
        for i in 0..<length {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0
    }
}
