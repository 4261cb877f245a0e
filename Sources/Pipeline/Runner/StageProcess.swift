// Starting stage executables with posix_spawn, so the runner controls every file descriptor:
// stdout to a log file or into a pipe to the next stage, stderr to the log, nothing else inherited
// (all descriptors the runner opens are close-on-exec).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A started child process.
struct StageProcess {
    let pid: pid_t

    /// Starts `arguments[0]` with the given standard descriptors (-1 = /dev/null for stdin).
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
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        var status = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        // ETXTBSY: see OperatorCatalog.capture; a freshly written executable may be briefly busy.
        var attempt = 0
        while status == ETXTBSY && attempt < 20 {
            usleep(50_000)
            attempt += 1
            status = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        }
        guard status == 0 else {
            throw SpecError(file: arguments[0], path: "", message: "cannot start: \(String(cString: strerror(status)))")
        }
        return StageProcess(pid: pid)
    }

    /// Blocks until the process ends; returns its exit status (128 + signal when killed).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
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
