package com.poke

import java.lang.reflect.Modifier
import java.nio.file.Path
import java.util.zip.ZipFile
import kotlin.reflect.KClass
import kotlin.reflect.KType
import kotlin.reflect.KVisibility
import kotlin.reflect.full.declaredMemberFunctions
import kotlin.reflect.full.declaredMemberProperties
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * What users of the com.poke:poke jar can see: only the hand-written API (the generated code is
 * internal), no unsigned types, and a Java variant of every suspend function.
 */
class ApiSurfaceTest {
    private val jar: Path = Path.of(PokeClient::class.java.protectionDomain.codeSource.location.toURI())

    /** Every Kotlin class (not file facades or lambdas) in the jar. */
    private val classes: List<KClass<*>> = ZipFile(jar.toFile()).use { zip ->
        zip.entries().toList().map { it.name }
            .filter { it.startsWith("com/poke/") && it.endsWith(".class") }
            .map { Class.forName(it.removeSuffix(".class").replace('/', '.'), false, javaClass.classLoader) }
            .filter { it.getAnnotation(Metadata::class.java)?.kind == 1 }
            .map { it.kotlin }
    }

    /** Classes users can name: public, and inside public classes only. */
    private val public: List<KClass<*>> = classes.filter { k ->
        generateSequence(k.java) { it.enclosingClass }.all { it.kotlin.visibility == KVisibility.PUBLIC }
    }

    @Test
    fun onlyTheHandWrittenLayerIsPublic() {
        assertTrue(classes.any { it.java.packageName == "com.poke.ffi" }, "the generated classes are in the jar")
        val leaked = public.filter { it.java.packageName != "com.poke" }
        assertEquals(emptyList<KClass<*>>(), leaked)
        val topLevel = public.filter { it.java.enclosingClass == null }.mapNotNull { it.simpleName }.sorted()
        println("public top-level types of com.poke: ${topLevel.size}: ${topLevel.joinToString()}")
        // A leak guard (the generated layer has well over a hundred types), not a quota: skills
        // and stateless responses took the hand-written layer to 60.
        assertTrue(topLevel.size < 80, "$topLevel")
    }

    @Test
    fun noUnsignedOrGeneratedTypeInAPublicSignature() {
        val unsigned = setOf(UByte::class, UShort::class, UInt::class, ULong::class)
        val bad = mutableListOf<String>()
        fun check(owner: KClass<*>, what: String, type: KType) {
            val classifier = type.classifier as? KClass<*> ?: return
            if (classifier in unsigned || classifier.java.packageName == "com.poke.ffi") {
                bad += "${owner.simpleName}.$what: $type"
            }
            type.arguments.forEach { arg -> arg.type?.let { check(owner, what, it) } }
        }
        for (k in public) {
            for (f in k.declaredMemberFunctions.filter { it.visibility == KVisibility.PUBLIC }) {
                f.parameters.forEach { check(k, f.name, it.type) }
                check(k, f.name, f.returnType)
            }
            for (p in k.declaredMemberProperties.filter { it.visibility == KVisibility.PUBLIC }) {
                check(k, p.name, p.returnType)
            }
            for (c in k.constructors.filter { it.visibility == KVisibility.PUBLIC }) {
                c.parameters.forEach { check(k, "<init>", it.type) }
            }
        }
        assertEquals(emptyList<String>(), bad)
    }

    @Test
    fun everySuspendFunctionHasJavaVariants() {
        val missing = mutableListOf<String>()
        for (k in public) {
            val javaNames = k.java.methods.filter { Modifier.isPublic(it.modifiers) }.map { it.name }.toSet()
            for (f in k.declaredMemberFunctions.filter { it.isSuspend && it.visibility == KVisibility.PUBLIC }) {
                if ("${f.name}Blocking" !in javaNames) missing += "${k.simpleName}.${f.name}Blocking"
                if ("${f.name}Async" !in javaNames) missing += "${k.simpleName}.${f.name}Async"
            }
        }
        assertEquals(emptyList<String>(), missing)
    }
}
