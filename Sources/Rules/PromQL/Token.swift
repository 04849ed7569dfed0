/// One lexical item of a PromQL expression. `start`/`end` are UTF-8 byte offsets into the input.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case eof
        /// A lexical error, reported only if the parser gets this far (Prometheus lexes lazily,
        /// so an earlier syntax error wins).
        case lexError(String)
        case comma, leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket, colon, at
        case number(Double)
        case duration(Int64)
        case string(String)
        case identifier(String)
        case metricIdentifier(String)
        // Operators.
        case add, sub, mul, div, mod, pow, eqlc, neq, lte, lss, gte, gtr, eql, eqlRegex, neqRegex, trimUpper, trimLower
        case land, lor, lunless, atan2
        // Keywords.
        case aggregator(AggregationOp)
        case offset, by, without, on, ignoring, groupLeft, groupRight, bool, start, end
    }

    var kind: Kind
    var start: Int
    var end: Int
    /// The source text of the token (keywords keep their spelling for grouping labels).
    var text: String

    /// How the token is named in "unexpected ..." errors.
    var describe: String {
        switch kind {
        case .eof: "end of input"
        case .lexError(let m): m
        case .comma: "\",\""
        case .leftParen: "\"(\""
        case .rightParen: "\")\""
        case .leftBrace: "\"{\""
        case .rightBrace: "\"}\""
        case .leftBracket: "\"[\""
        case .rightBracket: "\"]\""
        case .colon: "\":\""
        case .at: "\"@\""
        case .number: "number \"\(text)\""
        case .duration: "duration \"\(text)\""
        case .string: "string \(PromQLString.quote(text))"
        case .identifier: "identifier \"\(text)\""
        case .metricIdentifier: "metric identifier \"\(text)\""
        case .eql: "\"=\""
        case .start, .end: "\"\(text.lowercased())\""
        // Prometheus' item names: <aggr:sum>, <by>, <op:*>.
        case .aggregator: "<aggr:\(text.lowercased())>"
        case .offset, .by, .without, .on, .ignoring, .groupLeft, .groupRight, .bool:
            "<\(text.lowercased())>"
        default: "<op:\(text.lowercased())>"
        }
    }
}
