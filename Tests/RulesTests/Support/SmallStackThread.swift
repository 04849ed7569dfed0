import Foundation

/// Runs work on a new thread with a chosen stack size and waits for it: a stack overflow there
/// crashes the test run instead of passing silently, so a walker that recurses too deeply fails.
enum SmallStackThread {
    /// Written by the thread before it signals, read after the wait.
    private final class Box<T>: @unchecked Sendable { var value: T? }

    static func run<T: Sendable>(stackSize: Int, _ body: @escaping @Sendable () -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return box.value!
    }
}
