// The bash scripts `hz-pipeline run --executor slurm` hands to sbatch. Each runs the stage's
// command line exactly as the local executor does (same arguments, same HYPERZOO_RUN_FOLDER and
// HYPERZOO_STAGE, stdout and stderr into logs/<stage>.log with the command first and the exit
// status last), then writes the exit status into a small file of its own, which outlives Slurm's
// memory of the job (slurmctld forgets finished jobs after MinJobAge; there may be no accounting).
import Foundation

enum SlurmJobScript {
    /// One quoted word for bash.
    static func quote(_ text: String) -> String { shellLine([text]) }

    private static func header(_ what: String, pipeline: String, run: String, runFolder: String) -> String {
        // A comment line stays one line whatever a run id holds.
        let run = String(run.map { $0.isNewline ? " " : $0 })
        return """
        #!/bin/bash
        # Written by hz-pipeline run --executor slurm: \(what) of pipeline '\(pipeline)' (run '\(run)').
        # The command lines are those the local executor runs; the exit status file is read by the next hz-pipeline call.
        export HYPERZOO_RUN_FOLDER=\(quote(runFolder))

        """
    }

    /// Writes `status` (a shell expression) into `exitFile` atomically.
    private static func recordExit(_ status: String, _ exitFile: String) -> String {
        "printf '%d\\n' \(status) > \(quote(exitFile + ".partial")) && mv -f \(quote(exitFile + ".partial")) \(quote(exitFile))\n"
    }

    /// A stage, or a streamed chain (stdout of each into the next through a pipe, inside the one
    /// job). A stage's `prepare` command (writing its upstream lock) runs first, into its log; if
    /// it fails, no stage of the job runs and each records its status.
    static func stages(_ stages: [(name: String, command: [String], log: String, exitFile: String, prepare: [String]?)],
                       pipeline: String, run: String, runFolder: String) -> String {
        var text = header("stage\(stages.count > 1 ? "s" : "") \(stages.map { "'\($0.name)'" }.joined(separator: " | "))",
                          pipeline: pipeline, run: run, runFolder: runFolder)
        for s in stages { text += "printf '%s\\n' \(quote("$ " + shellLine(s.command))) > \(quote(s.log))\n" }
        for s in stages {
            guard let prepare = s.prepare else { continue }
            text += "if ! \(shellLine(prepare)) >> \(quote(s.log)) 2>&1; then\n"
            for t in stages {
                text += "  printf '# exit status 1: its upstream lock could not be written (Slurm job %s)\\n' \"$SLURM_JOB_ID\" >> \(quote(t.log))\n  "
                text += recordExit("1", t.exitFile)
            }
            text += "  exit 1\nfi\n"
        }
        var pipeline: [String] = []
        for (i, s) in stages.enumerated() {
            let last = i == stages.count - 1
            pipeline.append("HYPERZOO_STAGE=\(quote(s.name)) \(shellLine(s.command))" + (last ? " >> \(quote(s.log)) 2>&1" : " 2>> \(quote(s.log))"))
        }
        text += pipeline.joined(separator: " | ") + "\n"
        text += "statuses=(\"${PIPESTATUS[@]}\")\nfailed=0\n"
        for (i, s) in stages.enumerated() {
            text += "printf '# exit status %d after %d s (Slurm job %s)\\n' \"${statuses[\(i)]}\" \"$SECONDS\" \"$SLURM_JOB_ID\" >> \(quote(s.log))\n"
            text += recordExit("\"${statuses[\(i)]}\"", s.exitFile)
            text += "[ \"$failed\" -eq 0 ] && failed=${statuses[\(i)]}\n"
        }
        return text + "exit \"$failed\"\n"
    }

    /// One task of a sharded stage's job array: the stage's command with its output replaced by
    /// the task's shard file and `--shard env` (SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT). A
    /// shard finished by an earlier attempt of the same stage is kept (a resubmitted array only
    /// trains what is missing; an unfinished shard resumes its .partial itself).
    static func shard(stage: String, command: [String], outputIndex: Int, shardFolder: String, logFolder: String,
                      pipeline: String, run: String, runFolder: String) -> String {
        var text = header("shard $SLURM_ARRAY_TASK_ID of stage '\(stage)'", pipeline: pipeline, run: run, runFolder: runFolder)
        text += "shard=\"$SLURM_ARRAY_TASK_ID\"\n"
        text += "out=\(quote(shardFolder))/shard-\"$shard\".h5\n"
        text += "log=\(quote(logFolder + "/" + stage + ".shard-"))\"$shard\".log\n"
        text += "mkdir -p \(quote(shardFolder))\n"
        var words = command.enumerated().map { $0.offset == outputIndex ? "\"$out\"" : quote($0.element) }
        words += ["--shard", "env"]
        let line = words.joined(separator: " ")
        text += """
            if [ -e "$out" ]; then
              echo "# shard $shard was finished by an earlier attempt: $out" > "$log"
              status=0
            else
              printf '$ %s\\n' \(quote(line.replacingOccurrences(of: "\"$out\"", with: "$out"))) > "$log"
              HYPERZOO_STAGE=\(quote(stage)) \(line) >> "$log" 2>&1
              status=$?
            fi
            printf '# exit status %d after %d s (Slurm job %s)\\n' "$status" "$SECONDS" "$SLURM_JOB_ID" >> "$log"

            """
        let exit = logFolder + "/" + stage + ".shard-"
        text += "printf '%d\\n' \"$status\" > \(quote(exit))\"$shard\".exit.partial && mv -f \(quote(exit))\"$shard\".exit.partial \(quote(exit))\"$shard\".exit\n"
        return text + "exit \"$status\"\n"
    }

    /// The merge job of a sharded stage: joins the shards into the stage's output, then removes
    /// the shard folder (the executor's own intermediate).
    static func merge(stage: String, command: [String], shardFolder: String, log: String, exitFile: String,
                      pipeline: String, run: String, runFolder: String) -> String {
        var text = header("the merge of stage '\(stage)'", pipeline: pipeline, run: run, runFolder: runFolder)
        text += "printf '%s\\n' \(quote("$ " + shellLine(command))) > \(quote(log))\n"
        text += "HYPERZOO_STAGE=\(quote(stage)) \(shellLine(command)) >> \(quote(log)) 2>&1\nstatus=$?\n"
        text += "[ \"$status\" -eq 0 ] && rm -rf \(quote(shardFolder))\n"
        text += "printf '# exit status %d after %d s (Slurm job %s)\\n' \"$status\" \"$SECONDS\" \"$SLURM_JOB_ID\" >> \(quote(log))\n"
        text += recordExit("\"$status\"", exitFile)
        return text + "exit \"$status\"\n"
    }
}
