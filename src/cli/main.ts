// The `weir` command line (DESIGN.md §4). Each command lives in commands/; this file wires them to
// commander and turns every failure into one line on stderr with the contract's exit code.
import { prewarmWorker } from "../executor/prewarm.js";
import { defaultWorkerScript } from "../executor/worker-script.js";
import { resolveConfig } from "./config.js";
import { lowerHelperThreads } from "./helper-threads.js";
import { prepareConfig, withoutConfigFlag } from "../config/index.js";

// The project config (weir.config.ts, docs/configuration.md) comes first: it fills unset WEIR_*
// variables, which the prewarmed worker inherits. Help and version don't need it; its failure is
// reported by main() as one line, exit 2.
const args = withoutConfigFlag(process.argv.slice(2));
const configFailure: unknown =
  args.length > 0 && !["help", "--help", "-h", "--version", "-V"].includes(args[0] as string)
    ? await prepareConfig(process.argv.slice(2)).then(
        () => null,
        (error: unknown) => error ?? new Error("config failed"),
      )
    : null;

// Commands that load pipelines need a worker: fork it before the rest of the CLI loads, so the two
// start-ups overlap (the worker's is the longer one). Commands are imported only when chosen.
if (configFailure === null && ["run", "validate", "dev", "scheduler"].includes(args[0] ?? "")) {
  try {
    const config = resolveConfig();
    process.env.WEIR_HOME = config.home;
    prewarmWorker(defaultWorkerScript(), { ...process.env, WEIR_KILL_GRACE_MS: String(config.killGraceMs) });
    // The commands that drive runs keep V8's and libuv's helper threads behind their event loop (helper-threads.ts).
    if (args[0] !== "validate") lowerHelperThreads();
  } catch {
    // A bad setting is reported by the command itself, as one line.
  }
}

const { Command, CommanderError, InvalidArgumentError } = await import("commander");
const { describeFailure, say } = await import("./output.js");

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
};

type Program = InstanceType<typeof Command>;

export function buildProgram(): Program {
  const program = new Command("weir")
    .description("Weir: typed pipelines for data and ML, scheduled and run durably")
    .version("0.1.0")
    .showHelpAfterError(false)
    .option("--config <path>", "project config file (default: weir.config.ts/.mts/.js/.mjs here, or WEIR_CONFIG; docs/configuration.md)")
    .exitOverride();

  program
    .command("run")
    .description("run a pipeline once in the foreground (exit 0 success, 1 failed, 2 bad input)")
    .argument("[target]", "pipeline file, or the id of a pipeline that has run before")
    .option("-p, --param <key=value>", "a param (repeatable); coerced and validated by the pipeline's schema", collect, [])
    .option("-d, --logical-date <date>", "logical date: YYYY-MM-DD or an ISO timestamp (default: the latest complete interval, or now)")
    .option("--pipeline <id>", "which pipeline, when the file defines several")
    .option("--resume <run-id>", "finish a run whose `weir run` was interrupted")
    .option("--force", "with --resume: take the run over even if its recorded driver may be alive")
    .option("--no-cache", "run every task, reusing no cached result (cached results of this run are still stored)")
    .option("-c, --concurrency <n>", "worker processes (default: number of cores)", positiveInt)
    .option("--json", "print the run document on stdout and nothing else")
    .action(async (target, options) => (await import("./commands/run.js")).runCommand(target, options));

  program
    .command("dev")
    .description("scheduler, local workers, UI and API in one process: loads, reloads and schedules every pipeline under a path")
    .argument("[path]", "a directory of pipeline files, or one file", ".")
    .option("-c, --concurrency <n>", "worker processes (default: number of cores)", positiveInt)
    .option("--port <port>", "serve the UI and API on this port (default: WEIR_PORT or 8080; 0: a free port)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .action(async (path, options) => (await import("./commands/dev.js")).devCommand(path, { ...options, serve: true, triggerer: true }));

  program
    .command("scheduler")
    .description("the scheduler with its local worker pool (as `weir dev`; serves the UI and API only with --port); while another scheduler holds the store's lease it waits as a standby (WEIR_SCHEDULER_LEASE)")
    .argument("[path]", "a directory of pipeline files, or one file", ".")
    .option("-c, --concurrency <n>", "worker processes (default: number of cores)", positiveInt)
    .option("--port <port>", "also serve the UI and API on this port (0: a free port)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("--executor <kind>", "local (default): a worker pool here; store: tries go to `weir worker` processes through the store (WEIR_EXECUTOR)")
    .action(async (path, options) => (await import("./commands/dev.js")).devCommand(path, { ...options, standby: true }));

  program
    .command("worker")
    .description("run tries of some queues that a `weir scheduler --executor store` queued in the store, on this machine")
    .option("-q, --queues <names>", "comma-separated queues to serve", "default")
    .option("-c, --concurrency <n>", "tries at once (default: number of cores)", positiveInt)
    .option("--pipelines <dir>", "load pipeline code from this directory (default: the file path the scheduler recorded)")
    .action(async (options) => (await import("./commands/worker.js")).workerCommand(options));

  program
    .command("workers")
    .description("list registered workers: queues, slots in use, last heartbeat, version")
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/workers.js")).workersCommand(options));

  program
    .command("triggerer")
    .description("the trigger loop: checks deferred sensors in worker processes of its own (weir dev starts one)")
    .option("-c, --concurrency <n>", "checks at once (default 4)", positiveInt)
    .action(async (options) => (await import("./commands/triggerer.js")).triggererCommand(options));

  program
    .command("server")
    .description("the UI and API alone against the store (a scheduler runs elsewhere)")
    .option("--port <port>", "port (default: WEIR_PORT or 8080; 0: a free port)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .action(async (options) => (await import("./commands/server.js")).serverCommand(options));

  program
    .command("trigger")
    .description("create a manual run now (a running scheduler starts it)")
    .argument("<pipeline>", "pipeline id")
    .option("-p, --param <key=value>", "a param (repeatable)", collect, [])
    .option("-d, --logical-date <date>", "logical date (default: the latest complete interval, or now)")
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .option("--json", "print the new run's document")
    .action(async (pipeline, options) => (await import("./commands/trigger.js")).triggerCommand(pipeline, options));

  program
    .command("pause")
    .description("stop scheduling a pipeline")
    .argument("<pipeline>", "pipeline id")
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .action(async (pipeline, options) => (await import("./commands/pause.js")).pauseCommand(pipeline, true, options));

  program
    .command("unpause")
    .description("resume scheduling a pipeline (missed intervals follow its catchup setting)")
    .argument("<pipeline>", "pipeline id")
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .action(async (pipeline, options) => (await import("./commands/pause.js")).pauseCommand(pipeline, false, options));

  program
    .command("clear")
    .description("run a run's ended task instances again (new tries, history kept); the run runs again")
    .argument("<run-id>", "run id")
    .option("-t, --task <task>", "clear this task (repeatable; default: every task)", collect, [])
    .option("--downstream", "with --task: also every task downstream of it")
    .option("--failed-only", "only instances that failed, were upstream_failed or canceled")
    .option("--json", "print the run document after clearing")
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .action(async (runId, options) => (await import("./commands/clear.js")).clearCommand(runId, options));

  const backfill = program
    .command("backfill")
    .description("create runs for every interval of a past range (run by the scheduler), or cancel a backfill")
    .argument("<pipeline>", "pipeline id")
    .option("--from <date>", "first logical date (inclusive; required)")
    .option("--to <date>", "last logical date (inclusive; required)")
    .option("--concurrency <n>", "at most this many of its runs at once (default: the pipeline's maxActiveRuns)", positiveInt)
    .option("--reprocess <mode>", "none: skip intervals that succeeded; failed: rerun failed ones; all: rerun everything", "none")
    .option("--dry-run", "print the intervals and what would happen to each; write nothing")
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .option("--json", "print JSON")
    .action(async (pipeline, options) => (await import("./commands/backfill.js")).backfillCommand(pipeline, options));
  backfill
    .command("list")
    .description("list backfills, newest first")
    .option("--pipeline <id>", "only this pipeline's")
    .option("--json", "print JSON")
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    // `--json` and `--server` after `list` are parsed by the parent `backfill` command, which has the same options.
    .action(async (options, command: { parent?: { opts(): { json?: boolean; server?: string } } | null }) =>
      (await import("./commands/backfill.js")).backfillListCommand({ ...options, json: options.json ?? command.parent?.opts().json, server: options.server ?? command.parent?.opts().server }),
    );
  backfill
    .command("cancel")
    .description("cancel a backfill: its queued runs won't start, its running runs are canceled")
    .argument("<backfill-id>", "backfill id")
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .action(async (id, options, command: { parent?: { opts(): { server?: string } } | null }) =>
      (await import("./commands/backfill.js")).backfillCancelCommand(id, { server: options.server ?? command.parent?.opts().server }),
    );

  const pools = program.command("pools").description("pools: named numbers of slots shared by tasks across pipelines");
  pools
    .command("set")
    .description("create or resize a pool")
    .argument("<name>", "pool name")
    .argument("<slots>", "slots (tasks of the pool running at once; 0 stops it)")
    .option("--description <text>", "what the pool protects")
    .action(async (name, slots, options) => (await import("./commands/pools.js")).poolsSetCommand(name, slots, options));
  pools
    .command("list")
    .description("list pools")
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/pools.js")).poolsListCommand(options));

  program
    .command("emit")
    .description("record an event: pipelines scheduled by it (schedule: { events: [name] }) get runs (docs/events.md)")
    .argument("<name>", "event name, e.g. orders.loaded")
    .option("--data <json>", "the event's JSON payload (default null)")
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .option("--json", "print the recorded event as JSON")
    .action(async (name, options) => (await import("./commands/events.js")).emitCommand(name, options));
  program
    .command("events")
    .description("list recorded events, newest first, with the runs they started")
    .option("--name <name>", "only events of this name")
    .option("-n, --limit <n>", "how many", positiveInt, 20)
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/events.js")).eventsCommand(options));

  program
    .command("artifacts")
    .description("large task outputs kept in WEIR_HOME/artifacts")
    .command("prune")
    .description("delete artifacts referenced only by runs older than an age")
    .option("--older-than <age>", "age, e.g. 30d or 12h")
    .option("--dry-run", "count what would be deleted; delete nothing")
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/artifacts.js")).artifactsPruneCommand(options));

  program
    .command("db")
    .description("the store's schema")
    .command("migrate")
    .description("create or upgrade the store's schema (also done on start unless WEIR_AUTO_MIGRATE=0)")
    .option("--json", "print JSON")
    .action(async (options) => (await import("./commands/db.js")).dbMigrateCommand(options));

  program
    .command("graph")
    .description("print a pipeline's static graph: tasks, upstreams, and where it expands at run time (mapped tasks, branches)")
    .argument("<target>", "pipeline file, or the id of a pipeline known to the store")
    .option("--pipeline <id>", "which pipeline, when the file defines several")
    .option("--json", "print the graph as JSON")
    .action(async (target, options) => (await import("./commands/graph.js")).graphCommand(target, options));

  program
    .command("validate")
    .description("load every pipeline under a path and report every problem (exit 0 ok, 2 problems)")
    .argument("[path]", "a pipeline file or a directory", ".")
    .option("--json", "print the report as JSON")
    .action(async (path, options) => (await import("./commands/validate.js")).validateCommand(path, options));

  program
    .command("runs")
    .description("list the runs of a pipeline, newest first")
    .argument("<pipeline>", "pipeline id")
    .option("-n, --limit <n>", "how many", positiveInt, 20)
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .option("--json", "print JSON")
    .action(async (pipeline, options) => (await import("./commands/runs.js")).runsCommand(pipeline, options));

  program
    .command("tasks")
    .description("show a run's task instances")
    .argument("<run-id>", "run id")
    .option("--json", "print the run document")
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .action(async (runId, options) => (await import("./commands/tasks.js")).tasksCommand(runId, options));

  program
    .command("logs")
    .description("print the log of a task's try")
    .argument("<run-id>", "run id")
    .argument("<task>", "task id")
    .option("-t, --try <n>", "try number (default: the latest)", positiveInt)
    .option("-m, --map-index <n>", "map index of a mapped task", Number, -1)
    .option("-f, --follow", "keep printing as the try writes")
    .option("--server <url>", "talk to a running `weir server`/`weir dev` at this URL instead of the store")
    .action(async (runId, task, options) => (await import("./commands/logs.js")).logsCommand(runId, task, options));

  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    if (configFailure !== null) throw configFailure;
    // --config was used before commander: stripped, it may stand anywhere (`weir run x --config y`).
    await program.parseAsync([...argv.slice(0, 2), ...withoutConfigFlag(argv.slice(2))]);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; usage errors are bad input.
      return error.exitCode === 0 ? 0 : 2;
    }
    const { line, exitCode } = describeFailure(error);
    say(`weir: ${line}`);
    return exitCode;
  }
}

const code = await main(process.argv);
// Exit only after stdout has flushed: a piped `--json` document must arrive whole.
process.stdout.write("", () => process.exit(code));
