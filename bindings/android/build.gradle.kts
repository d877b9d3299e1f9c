// com.poke:poke-android: the Kotlin SDK for Android apps. The same generated Kotlin as the JVM
// jar, JNA as an AAR (it carries libjnidispatch.so for every ABI), and libpoke_ffi.so per ABI
// in jniLibs, built by cargo-ndk without the emulator. The generated Kotlin is uniffi's Android
// flavour (it frees native objects through android.system.SystemCleaner on API 34+).
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.4.21"
}

android {
    namespace = "com.poke"
    compileSdk = 35
    defaultConfig {
        minSdk = 26 // java.time.Instant and java.nio.file.Path in the API
        consumerProguardFiles("consumer-rules.pro")
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    sourceSets["main"].jniLibs.srcDirs("src/main/jniLibs")
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    implementation("net.java.dev.jna:jna:5.18.1@aar")
    api("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    api("org.jetbrains.kotlinx:kotlinx-serialization-json:1.13.0")
    // @RequiresApi in the Android flavour of the generated code.
    implementation("androidx.annotation:annotation:1.9.1")
}
