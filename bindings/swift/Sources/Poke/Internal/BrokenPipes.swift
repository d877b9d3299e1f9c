// On Linux, a write to a connection the other side has closed raises SIGPIPE, whose default
// action ends the process. The native library writes its sockets with writev (hyper's vectored
// writes), which has no per-call "no signal" flag, so a server that hangs up mid-request (or,
// in tests, a client that leaves the in-process emulator mid-answer) would kill a Swift
// program. Python, the JVM and Rust programs all ignore SIGPIPE from the start; a Swift
// program does not, so the package does it once, when the first client is made, and only if
// the program left SIGPIPE at its default action. (Apple platforms need nothing: the library's
// sockets there are made with SO_NOSIGPIPE.)
#if os(Linux)
import Glibc

private let brokenPipesIgnored: Void = {
    let previous = signal(SIGPIPE, SIG_IGN)
    if previous != nil {
        // The program has its own disposition (a handler, or SIG_IGN already): keep it.
        signal(SIGPIPE, previous)
    }
}()
#endif

/// Makes sure a write to a closed connection fails with an error rather than ending the
/// process (see above); called by every initializer that opens connections.
package func ignoreBrokenPipes() {
    #if os(Linux)
    _ = brokenPipesIgnored
    #endif
}
