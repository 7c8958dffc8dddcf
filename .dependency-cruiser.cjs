// The module boundaries of DESIGN.md §5, checked in `npm test`. Dependencies point one way:
// cli → api, scheduler, executor, worker → engine, store, time → graph → define → common.
const layers = {
  common: [],
  define: ["common"],
  graph: ["define", "common"],
  time: ["graph", "define", "common"],
  engine: ["graph", "define", "common"],
  observe: ["common"],
  artifacts: ["common"],
  notify: ["common"],
  config: ["notify", "define", "common"],
  operators: ["observe", "define", "common"],
  store: ["artifacts", "engine", "time", "graph", "define", "common"],
  worker: ["artifacts", "operators", "observe", "engine", "time", "graph", "define", "common"],
  executor: ["artifacts", "worker", "store", "observe", "engine", "graph", "define", "common"],
  scheduler: ["artifacts", "executor", "worker", "store", "engine", "time", "graph", "define", "observe", "notify", "common"],
  api: ["scheduler", "store", "engine", "time", "graph", "define", "observe", "common"],
  cli: ["config", "artifacts", "api", "scheduler", "executor", "worker", "store", "engine", "time", "graph", "define", "observe", "operators", "notify", "common"],
};

const forbidden = Object.entries(layers).map(([layer, allowed]) => ({
  name: `${layer}-imports-only-${allowed.join("-") || "nothing"}`,
  comment: `src/${layer} may import only from: ${allowed.join(", ") || "no other module"} (DESIGN.md §5)`,
  severity: "error",
  from: { path: `^src/${layer}/` },
  to: { path: "^src/([^/]+)/", pathNot: [`^src/(${[layer, ...allowed].join("|")})/`] },
}));

module.exports = {
  forbidden: [
    ...forbidden,
    {
      name: "engine-is-pure",
      comment: "the engine does no I/O: no Node built-ins (DESIGN.md §5)",
      severity: "error",
      from: { path: "^src/(engine|define|graph)/" },
      to: { dependencyTypes: ["core"], pathNot: ["^(node:)?crypto$"] },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "only-store-uses-sql-drivers",
      comment: "all SQL lives in src/store (DESIGN.md §5)",
      severity: "error",
      from: { pathNot: "^src/store/" },
      to: { path: "node_modules/(better-sqlite3|pg)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "\\.test\\.ts$" },
  },
};
