// Makes the uniffi-generated Kotlin reuse its call statuses. Every call into Rust passes a
// `UniffiRustCallStatus`, a JNA Structure that the generated code makes afresh per call: each
// one allocates native memory, registers a Cleaner and leaves the GC a reference to process
// (with its nested `RustBuffer`, two per call). Profiled, that was about 40 % of a blocking
// call's thread time and most of the GC's work. This rewrites the generated helper to take a
// status from a per-thread stack and put it back after the call (a stack, not one per thread:
// lifting an error calls into Rust again while the outer status is still being read). Run by
// the build (exec-maven-plugin) as a single-file Java program after uniffi-bindgen:
//
//   java ReuseCallStatus.java <file.kt>...      # rewrites each file in place
//
// The replaced text must be found exactly once: a uniffi upgrade that changes it fails the
// build instead of silently losing the change.
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

public final class ReuseCallStatus {
    private static final String FRESH = String.join("\n",
        "private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(errorHandler: UniffiRustCallStatusErrorHandler<E>, callback: (UniffiRustCallStatus) -> U): U {",
        "    var status = UniffiRustCallStatus()",
        "    val return_value = callback(status)",
        "    uniffiCheckCallStatus(errorHandler, status)",
        "    return return_value",
        "}");

    private static final String REUSED = String.join("\n",
        "private inline fun <U, E: kotlin.Exception> uniffiRustCallWithError(errorHandler: UniffiRustCallStatusErrorHandler<E>, callback: (UniffiRustCallStatus) -> U): U {",
        "    // Patched by bindings/kotlin/tools/ReuseCallStatus.java: a reused status, not a new one.",
        "    val statuses = uniffiCallStatuses.get()",
        "    val status = statuses.pollLast() ?: UniffiRustCallStatus()",
        "    status.code = UNIFFI_CALL_SUCCESS",
        "    status.error_buf.capacity = 0",
        "    status.error_buf.len = 0",
        "    status.error_buf.data = null",
        "    try {",
        "        val return_value = callback(status)",
        "        uniffiCheckCallStatus(errorHandler, status)",
        "        return return_value",
        "    } finally {",
        "        statuses.addLast(status)",
        "    }",
        "}",
        "",
        "// The idle call statuses of each thread (see uniffiRustCallWithError).",
        "private val uniffiCallStatuses: ThreadLocal<java.util.ArrayDeque<UniffiRustCallStatus>> =",
        "    ThreadLocal.withInitial { java.util.ArrayDeque<UniffiRustCallStatus>() }");

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: java ReuseCallStatus.java <file.kt>...");
            System.exit(2);
        }
        for (String arg : args) {
            Path file = Path.of(arg);
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int at = text.indexOf(FRESH);
            if (at < 0 || text.indexOf(FRESH, at + 1) >= 0) {
                if (text.contains("uniffiCallStatuses.get()")) {
                    continue; // patched already
                }
                System.err.println(file + ": the generated uniffiRustCallWithError is not the one this patch knows (uniffi upgraded?)");
                System.exit(1);
            }
            Files.writeString(file, text.replace(FRESH, REUSED), StandardCharsets.UTF_8);
        }
    }
}
