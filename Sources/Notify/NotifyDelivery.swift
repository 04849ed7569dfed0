/// Delivery guarantees of the notifier: at least once, with a stable idempotency key per
/// notification sent in this header.
public enum NotifyDelivery {
    public static let idempotencyHeader = "Idempotency-Key"
}
