import Foundation

/// Numeric helpers shared by functions and aggregations, following Prometheus' algorithms so
/// results agree bit for bit where possible.
enum PromMath {
    /// Neumaier-compensated summation step (Prometheus' kahanSumInc).
    static func kahanInc(_ inc: Double, _ sum: Double, _ c: Double) -> (Double, Double) {
        let t = sum + inc
        var c = c
        if t.isInfinite {
            c = 0
        } else if abs(sum) >= abs(inc) {
            c += (sum - t) + inc
        } else {
            c += (inc - t) + sum
        }
        return (t, c)
    }

    static func kahanSum(_ values: [Double]) -> Double {
        var s = 0.0, c = 0.0
        for v in values { (s, c) = kahanInc(v, s, c) }
        return s + c
    }

    /// Mean as Prometheus 3.x computes avg/avg_over_time: compensated sum divided by count,
    /// switching to an incremental mean when the sum overflows.
    /// The first value seeds the sum (an infinite first value gives ±Inf, not 0/0), and the
    /// result is `sum/count + c/count`, as Prometheus computes it.
    static func mean(_ values: [Double]) -> Double {
        guard let first = values.first else { return .nan }
        var sum = first, c = 0.0, mean = 0.0, cMean = 0.0
        var incremental = false
        var count = 1.0
        for v in values.dropFirst() {
            count += 1
            if !incremental {
                let (newSum, newC) = kahanInc(v, sum, c)
                if !newSum.isInfinite {
                    sum = newSum
                    c = newC
                    continue
                }
                incremental = true
                mean = sum / (count - 1)
                cMean = c / (count - 1)
            }
            let q = (count - 1) / count
            (mean, cMean) = kahanInc(v / count, q * mean, q * cMean)
        }
        if incremental { return mean + cMean }
        return sum / count + c / count
    }

    /// Population variance with compensated Welford updates (stdvar_over_time and stdvar).
    static func variance(_ values: [Double]) -> Double {
        var count = 0.0, mean = 0.0, cMean = 0.0, aux = 0.0, cAux = 0.0
        for v in values {
            count += 1
            let delta = v - (mean + cMean)
            (mean, cMean) = kahanInc(delta / count, mean, cMean)
            (aux, cAux) = kahanInc(delta * (v - (mean + cMean)), aux, cAux)
        }
        return (aux + cAux) / count
    }

    /// Population variance as the `stddev`/`stdvar` aggregators compute it in Prometheus 3.x:
    /// the first value seeds the mean (NaN result when it is NaN or ±Inf), then Welford updates.
    static func aggregationVariance(_ values: [Double]) -> Double {
        guard let first = values.first else { return .nan }
        var mean = first
        var value: Double = (first.isNaN || first.isInfinite) ? .nan : 0
        var count = 1.0
        for v in values.dropFirst() {
            count += 1
            let delta = v - mean
            mean += delta / count
            value += delta * (v - mean)
        }
        return value / count
    }

    /// Prometheus' quantile: linear interpolation between closest ranks (φ*(n-1)).
    static func quantile(_ q: Double, _ values: [Double]) -> Double {
        if values.isEmpty || q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        let sorted = values.sorted { a, b in a < b || (a.isNaN && !b.isNaN) }
        let n = Double(sorted.count)
        let rank = q * (n - 1)
        let lower = max(0, Int(rank.rounded(.down)))
        let upper = min(sorted.count - 1, lower + 1)
        let weight = rank - rank.rounded(.down)
        return sorted[lower] * (1 - weight) + sorted[upper] * weight
    }

    /// Least-squares slope and intercept (at `interceptTime`), Prometheus' linearRegression.
    static func linearRegression(_ points: [RangeSeries.Point], interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0
        var sumX = 0.0, cX = 0.0, sumY = 0.0, cY = 0.0, sumXY = 0.0, cXY = 0.0, sumX2 = 0.0, cX2 = 0.0
        let initY = points[0].v
        var constY = true
        for (i, p) in points.enumerated() {
            if constY, i > 0, p.v != initY { constY = false }
            n += 1
            let x = Double(p.t - interceptTime) / 1000
            (sumX, cX) = kahanInc(x, sumX, cX)
            (sumY, cY) = kahanInc(p.v, sumY, cY)
            (sumXY, cXY) = kahanInc(x * p.v, sumXY, cXY)
            (sumX2, cX2) = kahanInc(x * x, sumX2, cX2)
        }
        if constY {
            if initY.isInfinite { return (.nan, .nan) }
            return (0, initY)
        }
        sumX += cX
        sumY += cY
        sumXY += cXY
        sumX2 += cX2
        let covXY = sumXY - sumX * sumY / n
        let varX = sumX2 - sumX * sumX / n
        let slope = covXY / varX
        return (slope, sumY / n - slope * sumX / n)
    }

    /// Quantile over classic histogram buckets (upper bound, cumulative count), Prometheus'
    /// BucketQuantile: sorted, coalesced, forced monotonic, linear within the bucket.
    static func bucketQuantile(_ q: Double, _ input: [(upper: Double, count: Double)]) -> Double {
        if q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        var buckets = input.sorted { $0.upper < $1.upper }
        guard let last = buckets.last, last.upper == .infinity else { return .nan }
        // Coalesce equal upper bounds.
        var merged: [(upper: Double, count: Double)] = []
        for b in buckets {
            if let l = merged.last, l.upper == b.upper {
                merged[merged.count - 1].count += b.count
            } else {
                merged.append(b)
            }
        }
        buckets = merged
        // Monotonic counts; numerically insignificant differences are ignored.
        if var prev = buckets.first?.count {
            for i in buckets.indices.dropFirst() {
                let curr = buckets[i].count
                if curr == prev { continue }
                if abs(curr - prev) <= 1e-12 * max(abs(curr), abs(prev)) || curr < prev {
                    buckets[i].count = prev
                    continue
                }
                prev = curr
            }
        }
        guard buckets.count >= 2 else { return .nan }
        let observations = buckets[buckets.count - 1].count
        guard observations != 0 else { return .nan }
        var rank = q * observations
        var b = buckets.count - 1
        for i in 0..<(buckets.count - 1) where buckets[i].count >= rank {
            b = i
            break
        }
        if b == buckets.count - 1 { return buckets[buckets.count - 2].upper }
        if b == 0, buckets[0].upper <= 0 { return buckets[0].upper }
        var start = 0.0
        let end = buckets[b].upper
        var count = buckets[b].count
        if b > 0 {
            start = buckets[b - 1].upper
            count -= buckets[b - 1].count
            rank -= buckets[b - 1].count
        }
        return start + (end - start) * (rank / count)
    }

    /// Go's strconv.FormatFloat(f, 'f', -1, 64), the label text of count_values: shortest
    /// round-trip digits in fixed notation (`1000000000000000000000`, `0.00000000000000000001`).
    static func formatFloat(_ v: Double) -> String { GoFormat.fixed(v) }

    /// Prometheus' BucketFraction: the estimated fraction of observations in [lower, upper]
    /// from cumulative classic buckets, interpolating linearly inside a bucket.
    static func bucketFraction(_ lower: Double, _ upper: Double, _ input: [(upper: Double, count: Double)]) -> Double {
        guard !input.isEmpty else { return .nan }
        let sorted = input.sorted { $0.upper < $1.upper }
        guard sorted[sorted.count - 1].upper == .infinity else { return .nan }
        // Coalesce buckets with the same upper bound.
        var buckets: [(upper: Double, count: Double)] = []
        for b in sorted {
            if let last = buckets.last, last.upper == b.upper {
                buckets[buckets.count - 1].count += b.count
            } else {
                buckets.append(b)
            }
        }
        let count = buckets[buckets.count - 1].count
        if count == 0 || lower.isNaN || upper.isNaN { return .nan }
        if lower >= upper { return 0 }
        var rank = 0.0, lowerRank = 0.0, upperRank = 0.0
        var lowerSet = false, upperSet = false
        var lowerBound = buckets[0].upper <= 0 ? -Double.infinity : 0
        for (i, b) in buckets.enumerated() {
            if i > 0 { lowerBound = buckets[i - 1].upper }
            let upperBound = b.upper
            func interpolate(_ v: Double) -> Double {
                if lowerBound == -.infinity { return b.count }
                return rank + (b.count - rank) * (v - lowerBound) / (upperBound - lowerBound)
            }
            if !lowerSet, lowerBound >= lower { lowerRank = rank; lowerSet = true }
            if !upperSet, lowerBound >= upper { upperRank = rank; upperSet = true }
            if lowerSet, upperSet { break }
            if !lowerSet, lowerBound < lower, upperBound > lower { lowerRank = interpolate(lower); lowerSet = true }
            if !upperSet, lowerBound < upper, upperBound > upper { upperRank = interpolate(upper); upperSet = true }
            if lowerSet, upperSet { break }
            rank = b.count
        }
        if !lowerSet || lowerRank > count { lowerRank = count }
        if !upperSet || upperRank > count { upperRank = count }
        return (upperRank - lowerRank) / count
    }
}
