// The Android library (AAR) of poke: scripts/build-android.sh fills src/main/kotlin (generated
// bindings + the hand-written sugar of bindings/kotlin/poke) and src/main/jniLibs, then runs
// `gradle assembleRelease` here. Needs the Android SDK (ANDROID_HOME) and Gradle 8.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "poke-android"
