// One error path for every stage: whatever goes wrong while a command runs (a bad input file, a
// full disk, an existing output, a check of run()) is reported as exactly one line
// `<tool>: <message>` on stderr and exit status 1, the failure contract every stage keeps
// (CLIReliabilityTests). Errors in the arguments themselves never get here: swift-argument-parser
// reports those (with usage) before run() starts.
import ArgumentParser
import Foundation

enum StageFailure {
    /// Runs `body` and turns any error into the stage's one-line report and `ExitCode.failure`.
    /// An `ExitCode` passes through: whoever threw it has already said what happened.
    static func reporting<T>(as tool: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let code as ExitCode {
            throw code
        } catch let error as ValidationError {
            report(error.message, as: tool)
            throw ExitCode.failure
        } catch {
            report("\(error)", as: tool)
            throw ExitCode.failure
        }
    }

    /// Writes `<tool>: <message>` to stderr. A message of several problems (hz-pipeline validate
    /// lists every one) gives one such line per problem, so each stays greppable by tool.
    static func report(_ message: String, as tool: String) {
        let lines = message.split(separator: "\n", omittingEmptySubsequences: true)
        let text = (lines.isEmpty ? [""] : lines).map { "\(tool): \($0)\n" }.joined()
        FileHandle.standardError.write(Data(text.utf8))
    }
}
