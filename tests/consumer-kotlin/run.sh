#!/usr/bin/env bash
# The Kotlin packages as a user gets them: installs the jars that `mvn package` built in
# bindings/kotlin (with their poms, sources and javadoc jars) into a fresh local Maven
# repository, then builds and tests this consumer project against them by coordinates only:
# its own quickstart tests, and the full scenario list (bindings/kotlin's ScenarioTest.kt,
# copied into the package com.example.scenarios, so it can only use the public API).
#
#   tests/consumer-kotlin/run.sh      # after `mvn package` in bindings/kotlin
#
# Third-party artifacts (Kotlin, JUnit, plugins) come from ~/.m2 read as a remote repository
# (settings.xml), so the fresh repository holds nothing else of ours.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kotlin="$(cd "$here/../../bindings/kotlin" && pwd)"
version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' "$kotlin/pom.xml" | head -n1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
repo="$work/m2"
mvn_() { mvn -B -Dstyle.color=never "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'; }

for module in poke poke-testing; do
  for kind in "" -sources -javadoc; do
    [[ -f "$kotlin/$module/target/$module-$version$kind.jar" ]] ||
      { echo "missing $module-$version$kind.jar: run mvn package in bindings/kotlin first" >&2; exit 1; }
  done
done
# The app's jar carries the release library and no emulator (neither classes nor symbols).
jar_lib="$(unzip -Z1 "$kotlin/poke/target/poke-$version.jar" | grep -E '^[a-z0-9-]+/libpoke_ffi\.(so|dylib)$' || true)"
[[ -n "$jar_lib" ]] || { echo "poke-$version.jar has no libpoke_ffi" >&2; exit 1; }
if unzip -Z1 "$kotlin/poke/target/poke-$version.jar" | grep -qi emulator; then
  echo "poke-$version.jar contains emulator classes" >&2; exit 1
fi
unzip -p "$kotlin/poke/target/poke-$version.jar" "$jar_lib" >"$work/lib"
if strings "$work/lib" | grep -q 'poke emulator listening'; then
  echo "the library in poke-$version.jar contains the emulator" >&2; exit 1
fi
if command -v readelf >/dev/null && readelf -S "$work/lib" | grep -q '\.debug_info'; then
  echo "the library in poke-$version.jar has debug info (not a release build)" >&2; exit 1
fi

install() { # <pom> [<jar>] [extra -D...]: mvn install:install-file into the fresh repository
  local pom=$1 file=${2:-$1}
  shift 2 || shift 1
  mvn_ -q org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file \
    -DlocalRepositoryPath="$repo" -DpomFile="$pom" -Dfile="$file" "$@"
}
(
  cd "$work"
  install "$kotlin/pom.xml"
  for module in poke poke-testing; do
    t="$kotlin/$module/target/$module-$version"
    install "$kotlin/$module/pom.xml" "$t.jar" -Dsources="$t-sources.jar" -Djavadoc="$t-javadoc.jar"
  done
)
echo "installed into $repo: $(cd "$repo" && find com/poke -name '*.jar' -o -name '*.pom' | sort | tr '\n' ' ')"

# Built where nothing of the repository is beside it.
cp -R "$here/pom.xml" "$here/src" "$work/"
scenarios="$work/src/test/kotlin/com/example/scenarios"
mkdir -p "$scenarios"
for file in ScenarioTest.kt TestSupport.kt; do
  sed 's/^package com\.poke$/package com.example.scenarios\n\nimport com.poke.*/' \
    "$kotlin/tests/src/test/kotlin/com/poke/$file" >"$scenarios/$file"
done
mvn_ -s "$here/settings.xml" -Dmaven.repo.local="$repo" -f "$work/pom.xml" test |
  grep -E 'Tests run:|BUILD|ERROR|FAIL|Exception' || true
reports="$work/target/surefire-reports"
for suite in com.example.QuickstartTest com.example.scenarios.ScenarioTest; do
  [[ -f "$reports/TEST-$suite.xml" ]] || { echo "the consumer's $suite did not run" >&2; exit 1; }
done
! grep -qE '<(failure|error)' "$reports"/TEST-*.xml || { echo "the consumer's tests failed" >&2; exit 1; }
count() { grep -oE '<testsuite [^>]*tests="[0-9]+"' "$reports/TEST-$1.xml" | grep -oE 'tests="[0-9]+"' | tr -dc 0-9; }
echo "kotlin consumer: $(count com.example.QuickstartTest) quickstart tests and $(count com.example.scenarios.ScenarioTest) scenarios passed (public API only, com.example packages), com.poke:poke:$version + poke-testing by coordinates from a fresh local repository; the app jar: $jar_lib $(($(stat -c %s "$work/lib") / 1024 / 1024)) MiB, release, no emulator"
