import ArgumentParser
import Foundation

/// Plain-text output helpers of the operator commands: aligned tables and byte counts.
enum TextTable {
    /// Columns padded to their widest cell; columns listed in `rightAligned` (numbers) are right-aligned.
    static func render(header: [String], rows: [[String]], rightAligned: Set<Int> = []) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return all.map { row in
            row.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return rightAligned.contains(index) ? padding + cell : cell + padding
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }

    /// `key: value` lines with the values aligned.
    static func keyValues(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { key, value in
            key + ":" + String(repeating: " ", count: width - key.count + 1) + value
        }.joined(separator: "\n") + "\n"
    }

    /// `key: value` lines with the values aligned; pairs without a value are left out.
    static func keyValues(_ pairs: [(String, String?)]) -> String {
        keyValues(pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    /// `1536` -> `1.5 KiB`.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// JSON text of `value` (sorted keys, pretty-printed), with a final newline.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Prints a failure as one line on stderr and returns exit status 1 to throw.
func commandFailure(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("pds: \(message)\n".utf8))
    return ExitCode(1)
}
