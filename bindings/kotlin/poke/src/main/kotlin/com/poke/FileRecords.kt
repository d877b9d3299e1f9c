package com.poke

import java.time.Instant

/**
 * One entry of a workspace directory listing.
 *
 * @property name the bare entry name, not a path.
 * @property kind `file`, `directory`, or a newer kind.
 * @property size the size in bytes (0 for directories).
 * @property modified the modification time.
 */
public data class FileEntry(val name: String, val kind: String, val size: Long, val modified: Instant?) {
    /** True for a directory. */
    val isDirectory: Boolean get() = kind == "directory"
}

/**
 * The answer to an upload.
 *
 * @property path the normalised workspace path written.
 * @property size the bytes stored.
 * @property modified the modification time.
 */
public data class UploadResult(val path: String, val size: Long, val modified: Instant?)
