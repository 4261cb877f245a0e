// Starting stage executables with posix_spawn, so the runner controls every file descriptor:
// stdout to a log file or into a pipe to the next stage, stderr to the log, nothing else inherited
// (all descriptors the runner opens are close-on-exec).
//
// A stage must not outlive its runner (an orphaned hz-zoo keeps writing and holds the HDF5 lock of
// its output, so the next run fails on it). Each stage therefore runs in its own process group
// (the runner can signal the stage and anything it started), the runner forwards SIGINT, SIGTERM
// and SIGHUP to every running group (StageSignals), and, for a runner killed with SIGKILL, the
// stage is started through util-linux's `setpriv --pdeathsig KILL` when it is installed, so the
// kernel kills it when the runner dies (prctl(PR_SET_PDEATHSIG) cannot be called between fork and
// exec with posix_spawn, and Swift cannot call the variadic prctl at all).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A started child process.
struct StageProcess {
    let pid: pid_t

    /// `setpriv`, when installed: the parent-death signal for stages.
    static let deathSignalLauncher: String? = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Starts `arguments[0]` with the given standard descriptors (-1 = /dev/null for stdin), in a
    /// process group of its own.
    static func spawn(_ arguments: [String], stdin: Int32, stdout: Int32, stderr: Int32,
                      environment: [String: String]) throws -> StageProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if stdin >= 0 {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        // Signals the runner ignores (SIGINT while it forwards) must not stay ignored in the stage.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        let launched = deathSignalLauncher.map { [$0, "--pdeathsig", "KILL", "--"] + arguments } ?? arguments
        let argv = launched.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        // A missing stage executable must be reported as such, not as setpriv failing to exec it.
        guard FileManager.default.isExecutableFile(atPath: arguments[0]) else {
            throw SpecError(file: arguments[0], path: "", message: "cannot start: not an executable file")
        }
        var status = posix_spawn(&pid, launched[0], &actions, &attributes, argv, envp)
        // ETXTBSY: see OperatorCatalog.capture; a freshly written executable may be briefly busy.
        var attempt = 0
        while status == ETXTBSY && attempt < 20 {
            usleep(50_000)
            attempt += 1
            status = posix_spawn(&pid, launched[0], &actions, &attributes, argv, envp)
        }
        guard status == 0 else {
            throw SpecError(file: arguments[0], path: "", message: "cannot start: \(String(cString: strerror(status)))")
        }
        RunningStages.shared.insert(pid)
        return StageProcess(pid: pid)
    }

    /// Blocks until the process ends; returns its exit status (128 + signal when killed).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        RunningStages.shared.remove(pid)
        // The runner is being stopped by a signal and this stage died of the forwarded SIGTERM: the
        // signal handler decides the exit status (128 + signal), not this stage's failure, so the
        // thread that saw it must not go on to report a failed stage and exit 1 first.
        if RunningStages.shared.isStopping { while true { pause() } }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}

/// The process groups of the stages running now (one per stage: its pid is the group id).
// unchecked because: `pids` and `stopping` are read and written only while holding `lock`.
final class RunningStages: @unchecked Sendable {
    static let shared = RunningStages()
    private var pids = Set<pid_t>()
    private var stopping = false
    private let lock = NSLock()

    /// Set by the signal handler before it signals the stages; never cleared (the runner exits).
    var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }
    func markStopping() { lock.lock(); stopping = true; lock.unlock() }

    func insert(_ pid: pid_t) { lock.lock(); pids.insert(pid); lock.unlock() }
    func remove(_ pid: pid_t) { lock.lock(); pids.remove(pid); lock.unlock() }
    var all: [pid_t] { lock.lock(); defer { lock.unlock() }; return Array(pids) }

    /// Sends `signal` to every running stage's process group.
    func signalAll(_ signal: Int32) {
        for pid in all { kill(-pid, signal) }
    }
}

/// Forwarding of the signals that end a runner to its stages.
public enum StageSignals {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs handlers for SIGINT, SIGTERM and SIGHUP: each running stage's group gets SIGTERM,
    /// then SIGKILL after `grace` seconds if it is still there; the runner then exits with
    /// 128 + the signal. Call once, from the command line tool (not from a library user).
    public static func forwardToStages(grace: Double = 5) {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                RunningStages.shared.markStopping()
                RunningStages.shared.signalAll(SIGTERM)
                let deadline = Date().addingTimeInterval(grace)
                while !RunningStages.shared.all.isEmpty && Date() < deadline { usleep(50_000) }
                RunningStages.shared.signalAll(SIGKILL)
                FileHandle.standardError.write(Data("hz-pipeline: stopped by signal \(sig); the stages it ran were stopped too, and the next run resumes\n".utf8))
                exit(128 + sig)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Opens a file for writing (truncating), close-on-exec.
func openForWriting(_ path: String) throws -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw SpecError(file: path, path: "", message: "cannot open for writing: \(String(cString: strerror(errno)))") }
    return fd
}

/// A close-on-exec pipe: (read end, write end).
func makePipe() throws -> (Int32, Int32) {
    var fds: [Int32] = [0, 0]
    // pipe2 is not visible from Swift's Glibc module; children are only spawned from the
    // scheduler's thread, so setting FD_CLOEXEC right after pipe() cannot race with a spawn.
    guard pipe(&fds) == 0 else { throw SpecError(file: "pipe", path: "", message: String(cString: strerror(errno))) }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    return (fds[0], fds[1])
}
