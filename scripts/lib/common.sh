# Shared by the scripts in scripts/: locate the repository, build it when needed, and supply the JVM
# flags Spark 4.2.0 and Arrow need (one source of truth: the parent pom's <spark.jvm.flags>).
# Source it; do not run it.

CONVT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
export SPARK_SCALA_VERSION="${SPARK_SCALA_VERSION:-2.13}"
export SPARK_HOME="${CONVT_SPARK_HOME:-$CONVT_ROOT/job/target/spark-home}"

convt_die() { echo "$(basename "$0"): $*" >&2; exit 2; }

# Prints the calling script's header comment (from line 2 to the first line that is not a comment) as its usage.
convt_usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }

# For scripts whose arguments go elsewhere: prints the usage and exits 0 when any argument is -h or --help, before
# the script does anything.
convt_help_if_asked() {
  local a
  for a in "$@"; do
    case "$a" in -h|--help) convt_usage; exit 0 ;; esac
  done
}

# The Spark/Arrow module flags, read from the parent pom so scripts and tests never drift apart.
convt_jvm_flags() {
  local flags
  flags="$(sed -n 's:.*<spark.jvm.flags>\(.*\)</spark.jvm.flags>.*:\1:p' "$CONVT_ROOT/pom.xml")"
  [ -n "$flags" ] || convt_die "cannot read <spark.jvm.flags> from $CONVT_ROOT/pom.xml"
  # the L1 data cache size the kernels block for (Java cannot read cpuid; sysfs lacks it in some VMs)
  local l1d
  l1d="$(getconf LEVEL1_DCACHE_SIZE 2>/dev/null || true)"
  case "$l1d" in ''|*[!0-9]*|0) ;; *) flags="$flags -Dconvt.simd.l1dBytes=$l1d" ;; esac
  echo "$flags"
}

# The java the scripts run: JAVA_HOME's when it is set; otherwise the newest JDK >= 17 among `java` on PATH and the
# usual install folders (/usr/lib/jvm, /usr/java, /opt/java, /opt/jdk*), because the Vector API kernels run faster on
# newer JDKs (BENCHMARKS.md, "JDK 17 vs 25"); `java` on PATH as is when no JDK says its version.
convt_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME/bin/java"; return 0; fi
  local j home v best="" best_v=0
  for j in "$(command -v java 2>/dev/null || true)" /usr/lib/jvm/*/bin/java /usr/java/*/bin/java /opt/java/*/bin/java \
           /opt/jdk*/bin/java; do
    [ -n "$j" ] && [ -x "$j" ] || continue
    home="$(dirname "$(dirname "$(readlink -f "$j")")")"
    # a JDK (javac beside java: the bench scripts compile with it) whose release file gives the feature version
    [ -x "$home/bin/javac" ] || continue
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null)"
    if [ -n "$v" ] && [ "$v" -ge 17 ] && [ "$v" -gt "$best_v" ]; then best="$home/bin/java" best_v="$v"; fi
  done
  if [ -n "$best" ]; then echo "$best"; return 0; fi
  command -v java || convt_die "no java on PATH and JAVA_HOME unset (need JDK 17+)"
}

# Builds the project (skipping tests) when it was never built or a source/pom changed since the last build,
# so a fresh clone runs any script directly. CONVT_NO_BUILD=1 only checks that a build exists.
convt_ensure_built() {
  local stamp="$CONVT_ROOT/job/target/.convt-built"
  if [ -n "${CONVT_NO_BUILD:-}" ]; then
    # Called from a build (integration tests) or by a user who manages the build: only check it exists.
    [ -d "$SPARK_HOME/jars" ] && [ -d "$CONVT_ROOT/job/target/classes" ] \
      || convt_die "project not built (run: mvn -B -q -DskipTests package)"
    return 0
  fi
  if [ -f "$stamp" ] && [ -d "$SPARK_HOME/jars" ] && [ -f "$CONVT_ROOT/engine/target/runtime-classpath.txt" ] \
     && [ -z "$(find "$CONVT_ROOT/pom.xml" "$CONVT_ROOT/engine" "$CONVT_ROOT/job" -path '*/target' -prune -o \
                \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$stamp" -print -quit)" ]; then
    return 0
  fi
  command -v mvn >/dev/null || convt_die "Maven (mvn) is needed to build convt: apt-get install maven"
  echo "convt: building (mvn -B -q -DskipTests package), once per change ..." >&2
  (cd "$CONVT_ROOT" && mvn -B -q -ntp -DskipTests package) >&2 || convt_die "build failed (see Maven output above)"
  touch "$stamp"
}

# Classpath for running engine + job classes in a plain JVM next to the Maven-copied Spark jars.
convt_job_classpath() {
  echo "$CONVT_ROOT/job/target/classes:$CONVT_ROOT/engine/target/classes:$SPARK_HOME/conf:$SPARK_HOME/jars/*"
}

# Classpath for the engine alone (no Spark): the CLI and the engine benchmarks.
convt_engine_classpath() {
  echo "$CONVT_ROOT/engine/target/classes:$(cat "$CONVT_ROOT/engine/target/runtime-classpath.txt")"
}

# The thin application jar (engine + job classes, Spark provided), as a user would spark-submit it.
convt_app_jar() {
  local jar
  jar="$(ls "$CONVT_ROOT"/job/target/convt-job-*-all.jar 2>/dev/null | head -n 1)"
  [ -n "$jar" ] || convt_die "no application jar in job/target (run: mvn -B -q -DskipTests package)"
  echo "$jar"
}

# Runs a JVM command, dropping the JDK's unavoidable "WARNING: Using incubator modules" line (and, on JDK 24+, the
# "package sun.security.action not in java.base" line for one of Spark's --add-opens) from stderr so that a failure
# stays one line; keeps the exit code.
convt_exec_quiet() {
  local rc=0
  # --line-buffered: progress lines must reach a pipe (`2>&1 | tee`) as they are printed, not at exit.
  # grep exits 1 when it filters everything (a quiet success): never let that decide the status. With pipefail
  # the pipeline's status is the JVM's.
  { "$@" 2>&1 1>&3 3>&- | { grep --line-buffered -v -e '^WARNING: Using incubator modules' -e '^WARNING: package [a-z.]* not in java.base$' >&2 || true; }; } 3>&1 || rc=$?
  return "$rc"
}
