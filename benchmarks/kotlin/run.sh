#!/usr/bin/env bash
# The Kotlin SDK against OkHttp on the same in-process emulator, in one JVM: 2,000 sequential
# send-message calls per run, rounds taking turns; prints calls/s and the ratio to OkHttp.
#
#   benchmarks/kotlin/run.sh [--calls N] [--rounds N]   # after `mvn package` in bindings/kotlin
#   BENCH_JAVA_OPTS="-XX:StartFlightRecording=filename=/tmp/k.jfr,settings=profile" benchmarks/kotlin/run.sh
#
# The jars of bindings/kotlin are installed into a fresh local repository (as
# tests/consumer-kotlin/run.sh does), so this measures the release library users get. Kotlin,
# OkHttp and plugins come from ~/.m2, else Maven Central.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kotlin="$(cd "$here/../../bindings/kotlin" && pwd)"
version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$kotlin/pom.xml" | head -n1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="$work/m2"
mvn_() { mvn -B -q -Dstyle.color=never "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }

for module in poke poke-testing; do
  [[ -f "$kotlin/$module/target/$module-$version.jar" ]] ||
    { echo "missing $module-$version.jar: run mvn package in bindings/kotlin first" >&2; exit 1; }
done
install() { # <pom> [<jar>]
  mvn_ org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file \
    -DlocalRepositoryPath="$repo" -DpomFile="$1" -Dfile="${2:-$1}"
}
(
  cd "$work"
  install "$kotlin/pom.xml"
  for module in poke poke-testing; do
    install "$kotlin/$module/pom.xml" "$kotlin/$module/target/$module-$version.jar"
  done
)
cp -R "$here/pom.xml" "$here/src" "$work/"
settings="$here/../../tests/consumer-kotlin/settings.xml"
# No compile daemon: each run uses a fresh repository, so each would leave one behind.
mvn_ -s "$settings" -Dmaven.repo.local="$repo" -Dkotlin.compiler.daemon=false -f "$work/pom.xml" compile \
  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.outputFile="$work/classpath.txt"
java ${BENCH_JAVA_OPTS:-} -cp "$work/target/classes:$(cat "$work/classpath.txt")" com.poke.bench.MainKt "$@"
