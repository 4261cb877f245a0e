// Tiny /bin/sh stage executables for runner tests: they answer --experimental-dump-help like a
// swift-argument-parser command and log every real call to calls.log beside themselves.
import Foundation
import Pipeline
import TestSupport

/// A folder of fake hz-* executables.
final class FakeOperators {
    let dir = TemporaryDirectory("hyperzoo-fake-ops")
    var bin: String { dir.url.path }
    var catalog: OperatorCatalog { OperatorCatalog(searchPaths: [bin]) }

    init() throws {
        // hz-gen --count N (integer, default 3) --scale X (number, default 1.5) --mode fast|slow
        //        --output FILE|- [--fail] [--sleep S]: writes 1..N.
        try write("gen", arguments: """
            {"kind":"option","names":[{"kind":"long","name":"count"}],"isOptional":true,"isRepeating":false,"defaultValue":"3","valueName":"n"},
            {"kind":"option","names":[{"kind":"long","name":"scale"}],"isOptional":true,"isRepeating":false,"defaultValue":"1.5","valueName":"x"},
            {"kind":"option","names":[{"kind":"long","name":"mode"}],"isOptional":true,"isRepeating":false,"allValues":["fast","slow"],"valueName":"mode"},
            {"kind":"option","names":[{"kind":"long","name":"sleep"}],"isOptional":true,"isRepeating":false,"valueName":"s"},
            {"kind":"option","names":[{"kind":"long","name":"output"}],"isOptional":false,"isRepeating":false,"valueName":"file"},
            {"kind":"flag","names":[{"kind":"long","name":"fail"}],"isOptional":true,"isRepeating":false}
            """, body: """
            count=3; out=""; pause=0
            while [ $# -gt 0 ]; do case "$1" in
              --count) count=$2; shift 2;; --output) out=$2; shift 2;; --sleep) pause=$2; shift 2;;
              --mode) [ "$2" = slow ] && echo "hz-gen: warning: slow mode; try: --mode fast" >&2; shift 2;;
              --fail) echo "gen: failing on purpose" >&2; exit 3;; *) shift 2;; esac; done
            sleep "$pause"
            if [ "$out" = "-" ]; then seq 1 "$count"; else seq 1 "$count" > "$out"; fi
            """)
        // hz-double --input FILE|- --output FILE: doubles each line.
        try write("double", arguments: """
            {"kind":"option","names":[{"kind":"long","name":"input"}],"isOptional":false,"isRepeating":false,"valueName":"file"},
            {"kind":"option","names":[{"kind":"long","name":"output"}],"isOptional":false,"isRepeating":false,"valueName":"file"}
            """, body: """
            while [ $# -gt 0 ]; do case "$1" in --input) in=$2; shift 2;; --output) out=$2; shift 2;; *) shift;; esac; done
            [ "$in" = "-" ] && in=/dev/stdin
            awk '{print $1*2}' "$in" > "$out"
            """)
        // hz-join PART... --output FILE: concatenates its positional inputs.
        try write("join", arguments: """
            {"kind":"positional","isOptional":false,"isRepeating":true,"valueName":"part"},
            {"kind":"option","names":[{"kind":"long","name":"output"}],"isOptional":false,"isRepeating":false,"valueName":"file"}
            """, body: """
            out=""; parts=""
            while [ $# -gt 0 ]; do case "$1" in --output) out=$2; shift 2;; *) parts="$parts $1"; shift;; esac; done
            cat $parts > "$out"
            """)
    }

    /// hz-wait --output FILE: becomes `sleep 30` (one process, so its pid is the stage's).
    /// hz-sink --input FILE|- --output FILE: reads one line, then fails (exit 4).
    /// hz-augment / hz-train: the options the cross-stage checks read, with the real defaults.
    /// hz-report --output FILE: writes a progress line to $HYPERZOO_PROGRESS_FILE, sleeps 1.5 s.
    func addExtras() throws {
        try write("wait", arguments: """
            {"kind":"option","names":[{"kind":"long","name":"output"}],"isOptional":false,"isRepeating":false,"valueName":"file"}
            """, body: "exec sleep 30")
        try write("sink", arguments: """
            {"kind":"option","names":[{"kind":"long","name":"input"}],"isOptional":false,"isRepeating":false,"valueName":"file"},
            {"kind":"option","names":[{"kind":"long","name":"output"}],"isOptional":false,"isRepeating":false,"valueName":"file"}
            """, body: "head -n 1 > /dev/null; echo 'sink: bad record' >&2; exit 4")
        try write("augment", arguments: """
            {"kind":"positional","isOptional":false,"isRepeating":false,"valueName":"input"},
            {"kind":"option","names":[{"kind":"long","name":"epochs"}],"isOptional":true,"isRepeating":false,"defaultValue":"1","valueName":"n"},
            {"kind":"option","names":[{"kind":"long","name":"split"}],"isOptional":true,"isRepeating":false,"valueName":"name"},
            {"kind":"option","names":[{"kind":"long","name":"output"}],"isOptional":false,"isRepeating":false,"valueName":"file"}
            """, body: "seq 1 10")
        try write("train", arguments: """
            {"kind":"positional","isOptional":false,"isRepeating":false,"valueName":"zoo"},
            {"kind":"option","names":[{"kind":"long","name":"views"}],"isOptional":true,"isRepeating":false,"valueName":"file"},
            {"kind":"option","names":[{"kind":"long","name":"epochs"}],"isOptional":true,"isRepeating":false,"defaultValue":"40","valueName":"n"},
            {"kind":"option","names":[{"kind":"long","name":"output"}],"isOptional":false,"isRepeating":false,"valueName":"file"}
            """, body: "cat > /dev/null")
        try write("report", arguments: """
            {"kind":"option","names":[{"kind":"long","name":"output"}],"isOptional":false,"isRepeating":false,"valueName":"file"}
            """, body: """
            printf 'working [####....] 3/10 steps 2/s ETA 0:04\\n' > "$HYPERZOO_PROGRESS_FILE"; sleep 1.5
            while [ $# -gt 0 ]; do case "$1" in --output) echo ok > "$2"; shift 2;; *) shift;; esac; done
            """)
    }

    /// hz-record --input FILE --lock FILE --output FILE: copies the lock file (${upstream_lock}) to its output.
    func addLockRecorder() throws {
        try write("record", arguments: """
            {"kind":"option","names":[{"kind":"long","name":"input"}],"isOptional":false,"isRepeating":false,"valueName":"file"},
            {"kind":"option","names":[{"kind":"long","name":"lock"}],"isOptional":false,"isRepeating":false,"valueName":"file"},
            {"kind":"option","names":[{"kind":"long","name":"output"}],"isOptional":false,"isRepeating":false,"valueName":"file"}
            """, body: """
            while [ $# -gt 0 ]; do case "$1" in --lock) lock=$2; shift 2;; --output) out=$2; shift 2;; *) shift 2;; esac; done
            cp "$lock" "$out"
            """)
    }

    private func write(_ name: String, arguments: String, body: String) throws {
        let script = """
            #!/bin/sh
            if [ "$1" = "--experimental-dump-help" ]; then cat <<'JSON'
            {"serializationVersion":0,"command":{"commandName":"hz-\(name)","arguments":[\(arguments)]}}
            JSON
            exit 0; fi
            echo "\(name) $*" >> "$(dirname "$0")/calls.log"
            \(body)

            """
        let path = dir.path("hz-\(name)")
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    /// The calls made so far, one line each ("gen --count 4 --output ...").
    var calls: [String] {
        let text = (try? String(contentsOfFile: dir.path("calls.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }
}

/// Writes `spec` (JSON text) into `dir` and loads it.
func loadSpec(_ text: String, in dir: TemporaryDirectory, overrides: [String] = []) throws -> PipelineSpec {
    let path = dir.path("spec-\(UUID().uuidString.prefix(6)).json")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return try PipelineSpec.load(path: path, overrides: overrides)
}

/// The messages of a thrown SpecErrors/SpecError, as "path: message" lines.
func specMessages(_ body: () throws -> Void) -> [String] {
    do { try body() } catch let errors as SpecErrors {
        return errors.errors.map { $0.path.isEmpty ? $0.message : "\($0.path): \($0.message)" }
    } catch let error as SpecError {
        return [error.path.isEmpty ? error.message : "\(error.path): \(error.message)"]
    } catch { return ["unexpected: \(error)"] }
    return []
}
