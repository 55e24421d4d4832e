/// A small parser for the Prometheus text format, to check what promtool does not.
struct Exposition {
    struct Sample: Equatable {
        var name: String
        var labels: String
        var value: Double
    }

    var help: [String: String] = [:]
    var types: [String: String] = [:]
    var samples: [Sample] = []
    var problems: [String] = []

    init(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { continue }
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst("# HELP ".count)
                let name = String(rest.prefix { $0 != " " })
                if help[name] != nil { problems.append("second HELP for \(name)") }
                help[name] = String(rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst("# TYPE ".count).split(separator: " ")
                guard parts.count == 2 else {
                    problems.append("bad TYPE line: \(line)")
                    continue
                }
                if types[String(parts[0])] != nil { problems.append("second TYPE for \(parts[0])") }
                types[String(parts[0])] = String(parts[1])
            } else if line.hasPrefix("#") {
                continue
            } else {
                let nameEnd = line.firstIndex { $0 == "{" || $0 == " " } ?? line.endIndex
                let name = String(line[..<nameEnd])
                var labels = ""
                var rest = line[nameEnd...]
                if rest.first == "{", let close = rest.lastIndex(of: "}") {
                    labels = String(rest[rest.index(after: rest.startIndex)..<close])
                    rest = rest[rest.index(after: close)...]
                }
                let valueText = rest.trimmingPrefix(" ").split(separator: " ").first.map(String.init) ?? ""
                let value: Double? = valueText == "+Inf" ? .infinity : (valueText == "-Inf" ? -.infinity : Double(valueText))
                guard let value else {
                    problems.append("bad sample line: \(line)")
                    continue
                }
                samples.append(Sample(name: name, labels: labels, value: value))
            }
        }
    }

    /// The family a sample belongs to (`x_bucket`, `x_sum`, `x_count` belong to histogram `x`).
    func family(of sample: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if types[base] == "histogram" { return base }
        }
        return sample
    }

    /// Series that appear more than once.
    var duplicateSeries: [String] {
        var seen: [String: Int] = [:]
        for sample in samples {
            seen["\(sample.name){\(Exposition.normalized(sample.labels))}", default: 0] += 1
        }
        return seen.filter { $0.value > 1 }.map(\.key).sorted()
    }

    /// Label sets of one histogram family that have no `le="+Inf"` bucket.
    func histogramsMissingInf() -> [String] {
        var missing: [String] = []
        for (name, type) in types where type == "histogram" {
            let countSeries = samples.filter { $0.name == "\(name)_count" }.map { Exposition.normalized($0.labels) }
            let infSeries = Set(
                samples.filter { $0.name == "\(name)_bucket" && $0.labels.contains(#"le="+Inf""#) }
                    .map { Exposition.normalized($0.labels.replacingOccurrences(#"le="+Inf""#)) }
            )
            for series in countSeries where !infSeries.contains(series) {
                missing.append("\(name){\(series)}")
            }
        }
        return missing
    }

    func value(_ name: String, labels: String = "") -> Double? {
        samples.first { $0.name == name && Exposition.normalized($0.labels) == Exposition.normalized(labels) }?.value
    }

    /// Label pairs sorted, so `a="1",b="2"` equals `b="2",a="1"`.
    static func normalized(_ labels: String) -> String {
        labels.split(separator: ",").map { $0.trimmingCharacters() }.filter { !$0.isEmpty }.sorted().joined(separator: ",")
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String) -> String {
        var result = self
        while let range = result.range(of: target) { result.removeSubrange(range) }
        return result
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(self.drop { $0 == " " })
    }
}
