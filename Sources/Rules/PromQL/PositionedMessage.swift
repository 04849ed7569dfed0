/// A message with a byte offset, used inside the lexer before it becomes a `PromQLError`.
struct PositionedMessage: Error, Sendable {
    var offset: Int
    var message: String
}
