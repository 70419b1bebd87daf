/// EXIF orientation (TIFF tag 0x0112) parsing and application.
///
/// Values as the EXIF spec defines them; the transform applied for each is
/// the one PIL's `ImageOps.exif_transpose` applies, so the result is upright:
/// 1 none, 2 mirror left-right, 3 rotate 180, 4 mirror top-bottom,
/// 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
public enum ExifOrientation {
    /// The orientation in a TIFF-structured EXIF payload (the bytes after
    /// `"Exif\0\0"`), or nil when absent or malformed. Every offset is bounds-checked.
    public static func parse(_ t: UnsafeRawBufferPointer) -> Int? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        if t[0] == 0x49 && t[1] == 0x49 { little = true } else if t[0] == 0x4D && t[1] == 0x4D { little = false } else { return nil }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let n = u16(ifd) else { return nil }
        for i in 0..<n {
            let e = ifd + 2 + 12 * i
            guard let tag = u16(e) else { return nil }
            if tag == 0x0112 {
                guard u16(e + 2) == 3, let v = u16(e + 8), (1...8).contains(v) else { return nil }
                return v
            }
        }
        return nil
    }

    /// `image` with orientation `orientation` undone (see the table above);
    /// ``ImageBuffer/samples16``, when present, is moved the same way.
    public static func apply(_ orientation: Int, to image: ImageBuffer) -> ImageBuffer {
        guard (2...8).contains(orientation) else { return image }
        let w = image.width, h = image.height, c = image.channels
        let swaps = orientation >= 5
        let ow = swaps ? h : w, oh = swaps ? w : h
        func transform<Sample>(_ samples: [Sample]) -> [Sample] {
            var out = samples
            samples.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for y in 0..<oh {
                        for x in 0..<ow {
                            let (sx, sy): (Int, Int)
                            switch orientation {
                            case 2: (sx, sy) = (w - 1 - x, y)
                            case 3: (sx, sy) = (w - 1 - x, h - 1 - y)
                            case 4: (sx, sy) = (x, h - 1 - y)
                            case 5: (sx, sy) = (y, x)
                            case 6: (sx, sy) = (y, h - 1 - x)
                            case 7: (sx, sy) = (w - 1 - y, h - 1 - x)
                            default: (sx, sy) = (w - 1 - y, x)
                            }
                            for k in 0..<c { dst[(y * ow + x) * c + k] = src[(sy * w + sx) * c + k] }
                        }
                    }
                }
            }
            return out
        }
        return ImageBuffer(width: ow, height: oh, layout: image.layout, pixels: transform(image.pixels),
                           samples16: image.samples16.map(transform))
    }
}
