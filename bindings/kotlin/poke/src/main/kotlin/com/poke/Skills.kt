package com.poke

import java.io.IOException
import java.nio.file.Path
import java.util.concurrent.CompletableFuture
import com.poke.ffi.InstalledSkill as FfiInstalledSkill

/**
 * The tenant's custom skills ([PokeeClient.skills]): list, install or replace, delete.
 *
 * ```kotlin
 * val installed = pokee.skills.install("greeter", Path.of("skills/greeter"))
 * println(installed.files)
 * ```
 *
 * A skill's name and a local directory are checked before anything is sent (a bad one throws
 * [IllegalArgumentException]); a bundle the server refuses throws [PokeApiException] and leaves
 * the installed skill as it was.
 */
public class Skills internal constructor(private val client: PokeeClient) {
    /** The custom skills installed for the tenant (not the built-in ones). */
    public suspend fun list(): List<Skill> =
        native { client.ffi().listSkills() }.map { Skill(it.name, it.skillMdSize.toLongExact(), it.modified?.toInstant()) }

    /**
     * Installs or replaces skill [name] from the local [source]: a directory holding `SKILL.md`
     * (zipped on the fly) or a `.zip` file. [listener] gets the bytes sent.
     *
     * @throws PokeApiException with [ApiErrorKind.BAD_REQUEST] for a bad bundle,
     *   [ApiErrorKind.PAYLOAD_TOO_LARGE] for an oversized one.
     * @throws PokeFileException when [source] cannot be read.
     */
    public suspend fun install(name: String, source: Path, listener: TransferListener? = null): InstalledSkill {
        val local = localPath(source, "source")
        val failure = ListenerFailure()
        val adapter = listener?.let { TransferAdapter(it, failure) }
        return native(failure) { client.ffi().installSkill(name, local, adapter) }.toPublic()
    }

    /** Installs or replaces skill [name] from the bytes of a zip file; see [install]. */
    public suspend fun install(name: String, zip: ByteArray, listener: TransferListener? = null): InstalledSkill {
        val failure = ListenerFailure()
        val adapter = listener?.let { TransferAdapter(it, failure) }
        return native(failure) { client.ffi().installSkillBytes(name, zip, adapter) }.toPublic()
    }

    /**
     * Uninstalls skill [name].
     *
     * @throws PokeApiException with [ApiErrorKind.NOT_FOUND] when there is none.
     */
    public suspend fun delete(name: String) {
        native { client.ffi().deleteSkill(name) }
    }

    /** [list] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun listBlocking(): List<Skill> = blocking { list() }

    /** [list] for Java, as a future. */
    public fun listAsync(): CompletableFuture<List<Skill>> = future { list() }

    /** [install] from a local directory or zip file for Java, blocking the calling thread. */
    @JvmOverloads
    @Throws(IOException::class)
    public fun installBlocking(name: String, source: Path, listener: TransferListener? = null): InstalledSkill =
        blocking { install(name, source, listener) }

    /** [install] from a local directory or zip file for Java, as a future. */
    @JvmOverloads
    public fun installAsync(name: String, source: Path, listener: TransferListener? = null): CompletableFuture<InstalledSkill> =
        future { install(name, source, listener) }

    /** [install] from zip bytes for Java, blocking the calling thread. */
    @JvmOverloads
    @Throws(IOException::class)
    public fun installBlocking(name: String, zip: ByteArray, listener: TransferListener? = null): InstalledSkill =
        blocking { install(name, zip, listener) }

    /** [delete] for Java, blocking the calling thread. */
    @Throws(IOException::class)
    public fun deleteBlocking(name: String): Unit = blocking { delete(name) }

    /** [delete] for Java, as a future. */
    public fun deleteAsync(name: String): CompletableFuture<Void?> = future { delete(name); null }

    override fun toString(): String = "Skills(baseUrl=${client.baseUrl})"
}

private fun FfiInstalledSkill.toPublic(): InstalledSkill =
    InstalledSkill(name, files, totalBytes.toLongExact(), skillMdSize.toLongExact())
