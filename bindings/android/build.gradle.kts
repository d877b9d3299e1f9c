// com.poke:poke-android: the Kotlin SDK for Android apps. The same generated Kotlin as the JVM
// jar, JNA as an AAR (it carries libjnidispatch.so for every ABI), and libpoke_ffi.so per ABI
// in jniLibs, built by cargo-ndk without the emulator.
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.2.21"
}

android {
    namespace = "com.poke"
    compileSdk = 35
    defaultConfig {
        minSdk = 24
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
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
}
