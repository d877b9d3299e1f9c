package com.poke

/** Runs [block], which must throw a [T] (suspend calls allowed: it is inlined); returns it. */
inline fun <reified T : Throwable> thrownBy(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got $e", e)
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}

/** A zip file in memory, from entry name → content. */
fun zipOf(vararg entries: Pair<String, ByteArray>): ByteArray {
    val out = java.io.ByteArrayOutputStream()
    java.util.zip.ZipOutputStream(out).use { zip ->
        for ((name, data) in entries) {
            zip.putNextEntry(java.util.zip.ZipEntry(name))
            zip.write(data)
            zip.closeEntry()
        }
    }
    return out.toByteArray()
}

/** A fresh directory holding relative path → text (parents made). */
fun skillDir(vararg files: Pair<String, String>): java.nio.file.Path {
    val dir = java.nio.file.Files.createTempDirectory("poke-kotlin-skill")
    for ((name, text) in files) {
        val path = dir.resolve(name)
        java.nio.file.Files.createDirectories(path.parent)
        java.nio.file.Files.writeString(path, text)
    }
    return dir
}
