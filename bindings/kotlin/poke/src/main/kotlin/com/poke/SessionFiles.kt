package com.poke

import java.io.IOException
import java.nio.file.FileSystems
import java.nio.file.Path
import java.util.concurrent.CompletableFuture
import com.poke.ffi.PokeException as FfiException
import com.poke.ffi.TransferProgressListener as FfiTransferProgressListener

/**
 * The workspace files a session can see ([Session.files]). Paths are workspace-relative
 * (`output/deck.pptx`); `..` and absolute paths throw [IllegalArgumentException] before
 * anything is sent. Transfers stream in constant memory.
 */
public class SessionFiles internal constructor(
    private val client: PokeeClient,
    private val sessionId: String,
) {
    /** Lists the directory [dir] (the workspace root when `null`), within the session's scope. */
    public suspend fun list(dir: String? = null): List<FileEntry> =
        native { client.ffi().listFiles(sessionId, dir) }.map {
            FileEntry(it.name, it.kind, it.size.toLongExact(), it.modified?.toInstant())
        }

    /**
     * Downloads the workspace file [path] to the local file [dest] and returns its size. [dest]
     * appears only once complete (replacing any file there): a failed download leaves nothing.
     */
    public suspend fun download(path: String, dest: Path, listener: TransferListener? = null): Long {
        val local = localPath(dest, "dest")
        val failure = ListenerFailure()
        val adapter = listener?.let { TransferAdapter(it, failure) }
        return native(failure) { client.ffi().downloadFile(sessionId, path, local, adapter) }.toLongExact()
    }

    /** Uploads the local file [source] to the workspace path [path], replacing any file there. */
    public suspend fun upload(path: String, source: Path, listener: TransferListener? = null): UploadResult {
        val local = localPath(source, "source")
        val failure = ListenerFailure()
        val adapter = listener?.let { TransferAdapter(it, failure) }
        val result = native(failure) { client.ffi().uploadFile(sessionId, path, local, adapter) }
        return UploadResult(result.path, result.size.toLongExact(), result.modified?.toInstant())
    }

    /** Uploads [data] to the workspace path [path], replacing any file there. */
    public suspend fun upload(path: String, data: ByteArray): UploadResult {
        val result = native { client.ffi().uploadBytes(sessionId, path, data) }
        return UploadResult(result.path, result.size.toLongExact(), result.modified?.toInstant())
    }

    /** Deletes the workspace file [path]. */
    public suspend fun delete(path: String) {
        native { client.ffi().deleteFile(sessionId, path) }
    }

    /** [list] for Java, blocking the calling thread. */
    @JvmOverloads
    @Throws(IOException::class)
    public fun listBlocking(dir: String? = null): List<FileEntry> = blocking { list(dir) }

    /** [list] for Java, as a future. */
    @JvmOverloads
    public fun listAsync(dir: String? = null): CompletableFuture<List<FileEntry>> = future { list(dir) }

    /** [download] for Java, blocking the calling thread. */
    @JvmOverloads
    @Throws(IOException::class)
    public fun downloadBlocking(path: String, dest: Path, listener: TransferListener? = null): Long =
        blocking { download(path, dest, listener) }

    /** [download] for Java, as a future; cancelling it stops the transfer and leaves no file. */
    @JvmOverloads
    public fun downloadAsync(path: String, dest: Path, listener: TransferListener? = null): CompletableFuture<Long> =
        future { download(path, dest, listener) }

    /** [upload] of a local file for Java, blocking the calling thread. */
    @JvmOverloads
    @Throws(IOException::class)
    public fun uploadBlocking(path: String, source: Path, listener: TransferListener? = null): UploadResult =
        blocking { upload(path, source, listener) }

    /** [upload] of bytes for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun uploadBlocking(path: String, data: ByteArray): UploadResult = blocking { upload(path, data) }

    /** [upload] of a local file for Java, as a future. */
    @JvmOverloads
    public fun uploadAsync(path: String, source: Path, listener: TransferListener? = null): CompletableFuture<UploadResult> =
        future { upload(path, source, listener) }

    /** [upload] of bytes for Java, as a future. */
    public fun uploadAsync(path: String, data: ByteArray): CompletableFuture<UploadResult> = future { upload(path, data) }

    /** [delete] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun deleteBlocking(path: String): Unit = blocking { delete(path) }

    /** [delete] for Java, as a future. */
    public fun deleteAsync(path: String): CompletableFuture<Void?> = future { delete(path); null }

    override fun toString(): String = "SessionFiles(sessionId=$sessionId)"
}

/** The native side opens files by name: only paths of the default file system have one. */
internal fun localPath(path: Path, name: String): String {
    require(path.fileSystem == FileSystems.getDefault()) { "$name must be a path of the default file system" }
    return path.toAbsolutePath().toString()
}

/** A [TransferListener] as the generated interface; what it throws is kept for the caller. */
internal class TransferAdapter(
    private val listener: TransferListener,
    private val failure: ListenerFailure,
) : FfiTransferProgressListener {
    override fun onProgress(doneBytes: ULong, totalBytes: ULong?) {
        try {
            listener.onProgress(doneBytes.toLongExact(), totalBytes?.toLongExact() ?: -1L)
        } catch (t: Throwable) {
            failure.thrown = t
            throw FfiException.Internal("the listener threw: $t")
        }
    }
}
